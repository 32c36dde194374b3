// Weight-set storage of one subarray for the behavioural stub (tlcim, hw/reram_array.py).
//
// A simple dual-port memory: synchronous read (old data on a read during a write to the same
// address), synchronous write. No initialiser file: generating the `paper` configuration's
// 61,440 x 342-bit storage through an Amaranth Memory with init takes minutes (SPEC 9), this
// takes nothing. Every word starts at zero, the code of a never-programmed (HRS) ReRAM.
module tlcim_wsram #(
    parameter WIDTH = 8,
    parameter DEPTH = 16,
    parameter ABITS = 4
) (
    input  wire             clk,
    input  wire [ABITS-1:0] raddr,
    output reg  [WIDTH-1:0] rdata,
    input  wire [ABITS-1:0] waddr,
    input  wire [WIDTH-1:0] wdata,
    input  wire             we
);
    reg [WIDTH-1:0] mem [0:DEPTH-1];
    integer i;
    initial begin
        for (i = 0; i < DEPTH; i = i + 1)
            mem[i] = {WIDTH{1'b0}};
        rdata = {WIDTH{1'b0}};
    end
    always @(posedge clk) begin
        if (we)
            mem[waddr] <= wdata;
        rdata <= mem[raddr];
    end
endmodule
