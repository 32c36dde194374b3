// Simulation-only bulk stream harness around tlcim_top (see sim/bulk.py; not synthesisable).
//
// The AXI4-Lite port and the weight stream pass straight through, so cocotbext-axi drives
// them as on tlcim_top. The activation and result streams are driven here instead of by
// per-cycle Python: on `bulk_start` the harness reads a chunk of activation beats from the
// file `tlcim_bulk_x.hex` ({tlast, tdata} per line, written by the host side) into a beat
// memory, sends `bulk_beats` of them on s_axis_x and captures every result beat
// ({tlast, tdata}) into a capture memory; `bulk_dump` writes the captured beats to
// `tlcim_bulk_y.hex`. File names are relative to the simulator's working directory (cocotb's
// test folder, shared with the Python side, which runs in the simulator process).
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
    parameter Y_DEPTH = 1024     // result beats captured per chunk
) (
    input clk,
    input rst,
    // AXI4-Lite, passed through
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
    // weight stream, passed through
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
    reg x_hold;
    wire x_pending = x_sent != x_total;
    assign x_tvalid = x_pending && (x_hold || lfsr[7:0] >= bulk_stall);
    assign {x_tlast, x_tdata} = x_mem[x_sent];
    always @(posedge clk) begin
        if (rst) begin
            x_total <= 0;
            x_sent <= 0;
            x_hold <= 0;
        end else if (bulk_start) begin
            $readmemh("tlcim_bulk_x.hex", x_mem, 0, bulk_beats - 1);
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
    assign y_tready = lfsr[15:8] >= bulk_stall;
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

    tlcim_top dut (
        .clk(clk), .rst(rst),
        .s_axil_awaddr(s_axil_awaddr), .s_axil_awvalid(s_axil_awvalid),
        .s_axil_awready(s_axil_awready), .s_axil_wdata(s_axil_wdata),
        .s_axil_wstrb(s_axil_wstrb), .s_axil_wvalid(s_axil_wvalid),
        .s_axil_wready(s_axil_wready), .s_axil_bresp(s_axil_bresp),
        .s_axil_bvalid(s_axil_bvalid), .s_axil_bready(s_axil_bready),
        .s_axil_araddr(s_axil_araddr), .s_axil_arvalid(s_axil_arvalid),
        .s_axil_arready(s_axil_arready), .s_axil_rdata(s_axil_rdata),
        .s_axil_rresp(s_axil_rresp), .s_axil_rvalid(s_axil_rvalid),
        .s_axil_rready(s_axil_rready),
        .s_axis_w_tdata(s_axis_w_tdata), .s_axis_w_tdest(s_axis_w_tdest),
        .s_axis_w_tvalid(s_axis_w_tvalid), .s_axis_w_tready(s_axis_w_tready),
        .s_axis_w_tlast(s_axis_w_tlast),
        .s_axis_x_tdata(x_tdata), .s_axis_x_tvalid(x_tvalid), .s_axis_x_tready(x_tready),
        .s_axis_x_tlast(x_tlast),
        .m_axis_y_tdata(y_tdata), .m_axis_y_tvalid(y_tvalid), .m_axis_y_tready(y_tready),
        .m_axis_y_tlast(y_tlast)
    );
endmodule
