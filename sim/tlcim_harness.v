// Simulation-only bulk stream harness around tlcim_top (see sim/transports.py; not
// synthesisable).
//
// The AXI4-Lite port and the weight stream reach tlcim_top through register slices
// (tlcim_harness_slice), so cocotbext-axi drives them as on tlcim_top, one cycle later each
// way; reset and `bulk_stall` are registered too. No logic of the design then depends on a
// top-level input combinationally: Verilator evaluates such logic again at every evaluation
// (twice a clock cycle) whether the inputs changed or not, and the bus's address decoding
// and the streams' handshakes were most of it. `REGISTERED = 0` passes them through instead
// (`python -m benchmarks harness` compares the two).
//
// The activation and result streams are driven here instead of by per-cycle Python: on
// `bulk_start` the harness reads a chunk of activation beats from the file
// `tlcim_bulk_x.bin` (written by the host side: per beat, {tlast, tdata} in whole bytes, most
// significant first, as `$fread` reads a memory word) into a beat memory,
// sends `bulk_beats` of them on s_axis_x and captures every result beat ({tlast, tdata})
// into a capture memory; `bulk_dump` writes the captured beats to `tlcim_bulk_y.hex`. File
// names are relative to the simulator's working directory (cocotb's test folder, shared with
// the Python side, which runs in the simulator process).
//
// `bulk_done` rises once every beat was taken and either `bulk_expect` result beats were
// captured or `bulk_timeout` cycles passed without a result beat (refused vectors).
// `bulk_stall` (0..255) is the chance, in 1/256, that the source pauses before offering a
// beat and that the sink withholds tready in a cycle (independent LFSR bits), so
// backpressure is still exercised. The source keeps tvalid until its beat is taken (AXI).
module tlcim_harness #(
    parameter X_WIDTH = 32,      // s_axis_x tdata bits
    parameter Y_WIDTH = 32,      // m_axis_y tdata bits
    parameter DEST_WIDTH = 1,    // s_axis_w tdest bits
    parameter ADDR_WIDTH = 12,   // AXI4-Lite address bits
    parameter X_DEPTH = 1024,    // activation beats per chunk
    parameter Y_DEPTH = 1024,    // result beats captured per chunk
    parameter REGISTERED = 1     // 0: bus, weight stream, reset and stall odds pass through
) (
    input clk,
    input rst,       // registered: the design leaves reset one cycle later
    // AXI4-Lite, through register slices
    input [ADDR_WIDTH-1:0] s_axil_awaddr,
    input s_axil_awvalid,
    output s_axil_awready,
    input [31:0] s_axil_wdata,
    input [3:0] s_axil_wstrb,
    input s_axil_wvalid,
    output s_axil_wready,
    output [1:0] s_axil_bresp,
    output s_axil_bvalid,
    input s_axil_bready,
    input [ADDR_WIDTH-1:0] s_axil_araddr,
    input s_axil_arvalid,
    output s_axil_arready,
    output [31:0] s_axil_rdata,
    output [1:0] s_axil_rresp,
    output s_axil_rvalid,
    input s_axil_rready,
    // weight stream, through a register slice
    input [31:0] s_axis_w_tdata,
    input [DEST_WIDTH-1:0] s_axis_w_tdest,
    input s_axis_w_tvalid,
    output s_axis_w_tready,
    input s_axis_w_tlast,
    // bulk control
    input bulk_start,
    input [31:0] bulk_beats,
    input [31:0] bulk_expect,
    input [31:0] bulk_timeout,
    input [7:0] bulk_stall,
    input bulk_dump,
    output reg bulk_done,
    output reg [31:0] bulk_captured,
    output reg bulk_overflow
);
    reg [X_WIDTH:0] x_mem [0:X_DEPTH-1];
    reg [Y_WIDTH:0] y_mem [0:Y_DEPTH-1];

    wire [X_WIDTH-1:0] x_tdata;
    wire x_tvalid, x_tready, x_tlast;
    wire [Y_WIDTH-1:0] y_tdata;
    wire y_tvalid, y_tready, y_tlast;

    // 16-bit Fibonacci LFSR (x^16 + x^14 + x^13 + x^11 + 1): low byte stalls the source,
    // high byte the sink.
    reg [15:0] lfsr;
    always @(posedge clk) begin
        if (rst) lfsr <= 16'hACE1;
        else lfsr <= {lfsr[14:0], lfsr[15] ^ lfsr[13] ^ lfsr[12] ^ lfsr[10]};
    end

    // Activation source: beat x_sent of the chunk, tvalid held once offered (x_hold).
    reg [31:0] x_total, x_sent;
    // Binary ($fread), not hex text ($readmemh): the parsing was 6 % of the time.
    task automatic load_beats(input [31:0] beats);
        integer file, count;
        begin
            file = $fopen("tlcim_bulk_x.bin", "rb");
            count = file == 0 ? 0 : $fread(x_mem, file, 0, beats);
            if (file != 0) $fclose(file);
            // A beat is X_WIDTH + 1 bits in whole bytes; a short file would send stale beats.
            if (count != beats * ((X_WIDTH + 8) / 8))
                $fatal(1, "tlcim_harness: tlcim_bulk_x.bin gave %0d bytes for %0d beats",
                       count, beats);
        end
    endtask
    reg x_hold;
    wire x_pending = x_sent != x_total;
    assign x_tvalid = x_pending && (x_hold || lfsr[7:0] >= stall_q);
    assign {x_tlast, x_tdata} = x_mem[x_sent];
    always @(posedge clk) begin
        if (rst) begin
            x_total <= 0;
            x_sent <= 0;
            x_hold <= 0;
        end else if (bulk_start) begin
            load_beats(bulk_beats);
            x_total <= bulk_beats;
            x_sent <= 0;
            x_hold <= 0;
        end else begin
            x_hold <= x_tvalid && !x_tready;
            if (x_tvalid && x_tready) x_sent <= x_sent + 1;
        end
    end

    // Result sink: captures every beat, counts idle cycles once the source is done.
    reg [31:0] y_expect, idle;
    assign y_tready = lfsr[15:8] >= stall_q;
    always @(posedge clk) begin
        if (rst || bulk_start) begin
            bulk_captured <= 0;
            bulk_overflow <= 0;
            bulk_done <= 0;
            idle <= 0;
            y_expect <= bulk_expect;
        end else begin
            if (y_tvalid && y_tready) begin
                if (bulk_captured < Y_DEPTH) begin
                    y_mem[bulk_captured] <= {y_tlast, y_tdata};
                    bulk_captured <= bulk_captured + 1;
                end else begin
                    bulk_overflow <= 1;
                end
                idle <= 0;
            end else if (!x_pending) begin
                idle <= idle + 1;
            end
            if (!x_pending && (bulk_captured >= y_expect || idle >= bulk_timeout))
                bulk_done <= 1;
        end
        if (bulk_dump && bulk_captured != 0)
            $writememh("tlcim_bulk_y.hex", y_mem, 0, bulk_captured - 1);
    end

    // The registered inputs and the slices' design side.
    reg rst_r;
    reg [7:0] stall_r;
    always @(posedge clk) begin
        rst_r <= rst;
        stall_r <= bulk_stall;
    end
    wire rst_q = REGISTERED ? rst_r : rst;
    wire [7:0] stall_q = REGISTERED ? stall_r : bulk_stall;
    wire [ADDR_WIDTH-1:0] awaddr, araddr;
    wire [31:0] wdata, rdata, w_tdata;
    wire [3:0] wstrb;
    wire [1:0] bresp, rresp;
    wire [DEST_WIDTH-1:0] w_tdest;
    wire awvalid, awready, wvalid, wready, bvalid, bready, arvalid, arready, rvalid, rready;
    wire w_tvalid, w_tready, w_tlast;
    tlcim_harness_slice #(.WIDTH(ADDR_WIDTH), .REGISTERED(REGISTERED)) aw (
        .clk(clk), .rst(rst_q), .s_data(s_axil_awaddr), .s_valid(s_axil_awvalid),
        .s_ready(s_axil_awready), .m_data(awaddr), .m_valid(awvalid), .m_ready(awready));
    tlcim_harness_slice #(.WIDTH(36), .REGISTERED(REGISTERED)) w (
        .clk(clk), .rst(rst_q), .s_data({s_axil_wstrb, s_axil_wdata}), .s_valid(s_axil_wvalid),
        .s_ready(s_axil_wready), .m_data({wstrb, wdata}), .m_valid(wvalid), .m_ready(wready));
    tlcim_harness_slice #(.WIDTH(2), .REGISTERED(REGISTERED)) b (
        .clk(clk), .rst(rst_q), .s_data(bresp), .s_valid(bvalid), .s_ready(bready),
        .m_data(s_axil_bresp), .m_valid(s_axil_bvalid), .m_ready(s_axil_bready));
    tlcim_harness_slice #(.WIDTH(ADDR_WIDTH), .REGISTERED(REGISTERED)) ar (
        .clk(clk), .rst(rst_q), .s_data(s_axil_araddr), .s_valid(s_axil_arvalid),
        .s_ready(s_axil_arready), .m_data(araddr), .m_valid(arvalid), .m_ready(arready));
    tlcim_harness_slice #(.WIDTH(34), .REGISTERED(REGISTERED)) r (
        .clk(clk), .rst(rst_q), .s_data({rresp, rdata}), .s_valid(rvalid), .s_ready(rready),
        .m_data({s_axil_rresp, s_axil_rdata}), .m_valid(s_axil_rvalid),
        .m_ready(s_axil_rready));
    tlcim_harness_slice #(.WIDTH(33 + DEST_WIDTH), .REGISTERED(REGISTERED)) weights (
        .clk(clk), .rst(rst_q), .s_data({s_axis_w_tlast, s_axis_w_tdest, s_axis_w_tdata}),
        .s_valid(s_axis_w_tvalid), .s_ready(s_axis_w_tready),
        .m_data({w_tlast, w_tdest, w_tdata}), .m_valid(w_tvalid), .m_ready(w_tready));

    tlcim_top dut (
        .clk(clk), .rst(rst_q),
        .s_axil_awaddr(awaddr), .s_axil_awvalid(awvalid), .s_axil_awready(awready),
        .s_axil_wdata(wdata), .s_axil_wstrb(wstrb), .s_axil_wvalid(wvalid),
        .s_axil_wready(wready), .s_axil_bresp(bresp), .s_axil_bvalid(bvalid),
        .s_axil_bready(bready), .s_axil_araddr(araddr), .s_axil_arvalid(arvalid),
        .s_axil_arready(arready), .s_axil_rdata(rdata), .s_axil_rresp(rresp),
        .s_axil_rvalid(rvalid), .s_axil_rready(rready),
        .s_axis_w_tdata(w_tdata), .s_axis_w_tdest(w_tdest), .s_axis_w_tvalid(w_tvalid),
        .s_axis_w_tready(w_tready), .s_axis_w_tlast(w_tlast),
        .s_axis_x_tdata(x_tdata), .s_axis_x_tvalid(x_tvalid), .s_axis_x_tready(x_tready),
        .s_axis_x_tlast(x_tlast),
        .m_axis_y_tdata(y_tdata), .m_axis_y_tvalid(y_tvalid), .m_axis_y_tready(y_tready),
        .m_axis_y_tlast(y_tlast)
    );
endmodule

// A register slice of a valid/ready channel: two entries, so it takes a beat every cycle,
// and both sides' valid and ready come from registers (nothing passes combinationally).
module tlcim_harness_slice #(
    parameter WIDTH = 1,
    parameter REGISTERED = 1     // 0: wires from one side to the other
) (
    input clk,
    input rst,
    input [WIDTH-1:0] s_data,
    input s_valid,
    output s_ready,
    output [WIDTH-1:0] m_data,
    output m_valid,
    input m_ready
);
    generate if (REGISTERED) begin : fifo
        reg [WIDTH-1:0] head, tail;
        reg [1:0] count;
        // Not ready in reset (a registered reset: the design's), so no beat is taken and lost.
        assign s_ready = count != 2 && !rst;
        assign m_valid = count != 0;
        assign m_data = head;
        wire push = s_valid && s_ready, pop = m_valid && m_ready;
        always @(posedge clk) begin
            if (rst) begin
                count <= 0;
            end else begin
                count <= count + push - pop;
                // The head takes the tail's beat (or the new one) when it leaves, or a beat
                // when empty.
                if (pop ? count == 1 : count == 0) head <= s_data;
                else if (pop) head <= tail;
                if (push && (pop ? count == 2 : count == 1)) tail <= s_data;
            end
        end
    end else begin : pass
        assign s_ready = m_ready;
        assign m_valid = s_valid;
        assign m_data = s_data;
    end endgenerate
endmodule
