// The behavioural subarray with its weight sets in C++, for Verilator through DPI-C.
//
// Cycle for cycle the model of tlcim.hw.reram_array.NvmSubarray (the SubarrayStub's SRAM and
// compute path, the ReramArray's protocol checker, copy engine, weight-set storage and fault
// map, the spare-cell SRAM and the row-port arbitration): the same outputs after every clock
// edge for the same inputs before it. tlcim.sim.model generates the Verilog module
// tlcim_subarray_model that calls tlcim_model_step at every rising edge; the equivalence is
// tested in lock-step against the Amaranth model (tests/test_sim_model.py).
//
// Why: Verilator evaluates every combinational path of the Amaranth stub at every edge, used or
// not; here a cycle only does the work its inputs ask for (the ADC codes are recomputed when
// the block, word lines or mux change, a restore row is sensed only while it is written).
//
// Registers and memories start at 0, as the Amaranth signals do. Reset (synchronous) clears
// only what Amaranth resets: the stub's word-line, mux, offset and code registers and the
// sticky protocol_error; memories, their read registers, the checker and the copy engine are
// reset-less like the analog macro.

#include <cstdint>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "svdpi.h"

namespace {

using Word = uint64_t;

int words_of(int bits) { return (bits + 63) / 64; }

// Bits [offset, offset + width) of a DPI vector into words (bit 0 of dst[0] first).
void get_bits(const svBitVecVal* src, int offset, int width, Word* dst) {
    for (int w = 0; w < words_of(width); ++w) dst[w] = 0;
    if (offset % 32 == 0) {   // the usual case: whole 32-bit words
        const svBitVecVal* from = src + offset / 32;
        for (int i = 0; 32 * i < width; ++i) dst[i / 2] |= Word(from[i]) << (32 * (i % 2));
    } else {
        for (int i = 0; i < width; ++i) {
            int bit = offset + i;
            dst[i / 64] |= Word((src[bit / 32] >> (bit % 32)) & 1) << (i % 64);
        }
    }
    if (width % 64) dst[(width - 1) / 64] &= (Word(1) << (width % 64)) - 1;
}

// Bits [offset, offset + width) of words into dst (bit 0 of dst[0] first).
void extract(const Word* src, int offset, int width, Word* dst) {
    int shift = offset % 64, base = offset / 64;
    for (int i = 0; 64 * i < width; ++i) {
        Word value = src[base + i] >> shift;
        if (shift && 64 * (i + 1) < width + shift) value |= src[base + i + 1] << (64 - shift);
        dst[i] = value;
    }
    if (width % 64) dst[(width - 1) / 64] &= (Word(1) << (width % 64)) - 1;
}

// Words into the first width bits of a DPI vector.
void put_bits(svBitVecVal* dst, int width, const Word* src) {
    for (int i = 0; 32 * i < width; ++i) dst[i] = uint32_t(src[i / 2] >> (32 * (i % 2)));
    if (width % 32) dst[(width - 1) / 32] &= (1u << (width % 32)) - 1;
}

// OR width bits of src into dst at bit offset (dst's other bits kept).
void or_bits(Word* dst, int offset, int width, const Word* src) {
    int shift = offset % 64, base = offset / 64;
    for (int i = 0; 64 * i < width; ++i) {
        Word value = src[i];
        if (64 * (i + 1) > width) value &= (Word(1) << (width - 64 * i)) - 1;
        dst[base + i] |= value << shift;
        if (shift && 64 * i + 64 - shift < width) dst[base + i + 1] |= value >> (64 - shift);
    }
}

// Ones in a word (portable: no popcnt instruction assumed).
inline int ones(Word x) {
    x -= (x >> 1) & 0x5555555555555555ull;
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return int((x * 0x0101010101010101ull) >> 56);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("popcnt"))) inline int hardware_ones(Word x) {   // (see convert)
    return __builtin_popcountll(x);
}
#else
inline int hardware_ones(Word x) { return ones(x); }
#endif

// The conversion's code paths (see convert).
enum Isa { PORTABLE = 0, POPCNT = 1 };

// The popcnt instruction where the CPU has it, unless TLCIM_MODEL_ISA says portable (the
// lock-step tests run both paths; "popcnt" or unset means the default).
Isa choose_isa() {
    Isa best = PORTABLE;
#if defined(__x86_64__) && defined(__GNUC__)
    if (__builtin_cpu_supports("popcnt")) best = POPCNT;
#endif
    const char* asked = std::getenv("TLCIM_MODEL_ISA");
    if (asked == nullptr || *asked == 0 || std::strcmp(asked, "popcnt") == 0) return best;
    if (std::strcmp(asked, "portable") == 0) return PORTABLE;
    std::fprintf(stderr, "TLCIM_MODEL_ISA must be portable or popcnt, not '%s'\n", asked);
    std::exit(2);
}

template <bool popcnt> inline int ones_of(Word x) { return popcnt ? hardware_ones(x) : ones(x); }

// Equal contents (small vectors: inline, not a library call).
inline bool same(const std::vector<Word>& a, const std::vector<Word>& b) {
    for (size_t i = 0; i < a.size(); ++i)
        if (a[i] != b[i]) return false;
    return true;
}

bool bit_of(const Word* words, int bit) { return (words[bit / 64] >> (bit % 64)) & 1; }

// The read register of a memory port whose word is a whole block: after a read it shows the
// block as it was then. It points at the live block (no copy per cycle) until a write to that
// block, which first copies the old contents.
struct BlockRegister {
    const Word* live = nullptr;
    int block = -1;
    uint32_t generation = 0;     // of the block when read: with block, identifies the contents
    bool copied = false;
    std::vector<Word> copy;

    const Word* data() const { return copied ? copy.data() : live; }
    void read(const Word* source, int index, uint32_t gen) {
        live = source; block = index; generation = gen; copied = false;
    }
    void before_write(int index, size_t words) {
        if (!copied && index == block) {
            std::memcpy(copy.data(), live, words * sizeof(Word));
            copied = true;
        }
    }
};

struct Model {
    // -- configuration -----------------------------------------------------------------------
    int rows, active, cbls, share, adcs, code_bits, top, ideal, shift;
    int sets, cluster_size, cells, cluster_bits, abits, count_max;
    int minimum[7];
    int width;          // extended row: 2 * cells
    int nw, nc, nr;     // words of an extended row, of a weight row (2 * cbls), of a column
    Isa isa = PORTABLE;  // the conversion's code path
    int spare_bits;     // width - 2 * cbls

    // -- the stub ----------------------------------------------------------------------------
    std::vector<Word> sram;      // [rows][nc], SPEC 4 order
    // Every block's cells by ADC: [block][mux position][ADC][nr], bit a of a column Q1 of
    // the block's row a, bit active + a its Q2 (the compute path's view of the SRAM).
    std::vector<Word> columns;
    std::vector<Word> zeros;     // what a read outside a memory gives
    std::vector<uint32_t> generation;   // per compute block, bumped by every write
    BlockRegister readback;      // read register of the row port: a block's rows [active][nc]
    int offset_q = 0;
    BlockRegister compute;       // read register of the compute port: a block's columns
    std::vector<Word> wl1, wl2;  // registered word lines [words_of(active)]
    int mux = 0;
    std::vector<Word> codes;     // packed ADC codes, adcs * code_bits bits
    // Memo of the codes: inputs they were computed from.
    bool memo_valid = false; int memo_block = 0; uint32_t memo_generation = 0; int memo_mux = 0;
    std::vector<Word> memo_wl1, memo_wl2, memo_codes;

    // -- the spare cells ---------------------------------------------------------------------
    std::vector<Word> spare;     // [rows][words_of(spare_bits)]
    std::vector<Word> spare_q;

    // -- the ReRAM array ---------------------------------------------------------------------
    int phase = 0, count = 0, done = 0, held = 0;
    bool active_op = false, is_store = false, spoiled = false, entered_ok = false;
    bool protocol_error = false;
    bool copying = false, writing = false, c_store = false;
    int c_done = 0; uint64_t c_base = 0; int row = 0, row_q = 0;
    std::vector<Word> words;     // [sets * rows][nw], codes
    BlockRegister rdata;         // read register of the storage (a word per block)
    std::vector<Word> faults;    // [rows][3][nw], XOR per stored level
    BlockRegister fault_q;       // read register of the fault map ([3][nw] per block)
    // Scratch rows of one step (kept to spare the allocations).
    std::vector<Word> wdata, extended, programmed, weights;
    // Wide inputs of the coming edge (tlcim_model_row_wdata and the others).
    std::vector<Word> row_wdata, nvm_row_wdata, fault_data;
    // Outputs as last fetched: the codes and the extended row.
    std::vector<Word> out_codes, out_rows;
    // What the extended row output was made of: the row port's register and offset.
    int out_block = -3, out_offset = -1; uint32_t out_generation = 0;
    std::vector<Word> out_spare;
    int addr_bits;      // of a row address
    int block_mask;     // of the stub SRAM's address (the block index)

    Word* sram_row(int r) { return &sram[(size_t)r * nc]; }
    size_t block_columns() const { return (size_t)share * adcs * nr; }
    size_t block_rows() const { return (size_t)active * nc; }
    const Word* column(const Word* block, int position, int j) const {
        return block + ((size_t)position * adcs + j) * nr;
    }

    void write_row(int r, const Word* data) {   // data: 2 * cbls bits, SPEC 4 order
        const int index = r / active, a = r % active;
        readback.before_write(index, block_rows());
        compute.before_write(index, block_columns());
        std::memcpy(sram_row(r), data, nc * sizeof(Word));
        Word* block = &columns[(size_t)index * block_columns()];
        for (int position = 0; position < share; ++position)
            for (int j = 0; j < adcs; ++j)
                for (int q = 0; q < 2; ++q) {
                    const int at = q * active + a;
                    Word& word = block[((size_t)position * adcs + j) * nr + at / 64];
                    const Word bit = Word(1) << (at % 64);
                    // CBL j * share + position, Q1 at its even bit (SPEC 4)
                    word = bit_of(data, 2 * (j * share + position) + q) ? word | bit : word & ~bit;
                }
        ++generation[index];
    }

    std::vector<Word> masks;     // scratch of convert: [P rows, Z rows, PP, ZZ][nr]

    // ADC codes of the compute register for the registered word lines and mux. Per row the
    // discharge d = a + b is Q1 + Q2 where IN2 is high (P), 1 where only IN1 is (S), and
    // 2 - Q1 - Q2 where neither is (Z); so a column's D is |S| plus the ones of
    // (column & PP) | (~column & ZZ), PP and ZZ the masks P and Z over both halves.
    std::vector<uint64_t> levels;   // scratch of convert: the code of every ADC

    template <bool popcnt>
    void convert_with(std::vector<Word>& out) {
        Word* pp = &masks[2 * (size_t)nr];
        Word* zz = &masks[3 * (size_t)nr];
        std::fill(masks.begin(), masks.end(), 0);
        int base = 0;
        for (int w = 0; w < words_of(active); ++w) {
            Word rows = (64 * w + 64 > active) ? (Word(1) << (active - 64 * w)) - 1 : ~Word(0);
            Word in1 = wl1[w], in2 = wl2[w];
            masks[w] = in2 & rows;                       // P
            masks[nr + w] = ~in2 & ~in1 & rows;          // Z
            base += ones_of<popcnt>(~in2 & in1 & rows);    // |S|
        }
        or_bits(pp, 0, active, &masks[0]); or_bits(pp, active, active, &masks[0]);
        or_bits(zz, 0, active, &masks[nr]); or_bits(zz, active, active, &masks[nr]);
        // Out of range the mux selects nothing (columns of 0), except with one position.
        const int position = share == 1 ? 0 : mux;
        const Word* block = compute.data();
        const uint64_t most = ideal ? ~uint64_t(0) : (uint64_t)top;
        uint64_t* level = levels.data();
        if (nr == 1) {
            // Blocks of at most 32 rows (every preset): a column is a word, and a position's
            // columns lie side by side (zeros has as many).
            const Word* col = position < share ? column(block, position, 0) : zeros.data();
            const Word p = pp[0], z = zz[0];
            for (int j = 0; j < adcs; ++j) {
                const uint64_t l = uint64_t(base + ones_of<popcnt>((col[j] & p) | (~col[j] & z)))
                                   >> shift;
                level[j] = l < most ? l : most;
            }
        } else {
            for (int j = 0; j < adcs; ++j) {
                const Word* col = position < share ? column(block, position, j) : zeros.data();
                uint64_t l = base;
                for (int w = 0; w < nr; ++w)
                    l += ones_of<popcnt>((col[w] & pp[w]) | (~col[w] & zz[w]));
                l >>= shift;
                level[j] = l < most ? l : most;
            }
        }
        // Codes packed in a register and stored a word at a time, after the counts: an OR into
        // memory per code made every ADC wait for the previous one's store (a quarter of the
        // conversion's samples in a `perf` profile). Every word of out is written.
        Word* to = out.data();
        Word packed = 0;
        unsigned filled = 0;
        for (int j = 0; j < adcs; ++j) {
            packed |= Word(level[j]) << filled;
            filled += code_bits;
            if (filled >= 64) {   // the word is full; the code's bits beyond it start the next
                *to++ = packed;
                filled -= 64;
                packed = filled ? Word(level[j]) >> (code_bits - filled) : 0;
            }
        }
        if (filled) *to = packed;
    }

    void convert(std::vector<Word>& out);

    const Word* extended_row(std::vector<Word>& out) {   // stub row ++ spare cells
        std::fill(out.begin(), out.end(), 0);
        or_bits(out.data(), 0, 2 * cbls, readback.data() + (size_t)offset_q * nc);
        or_bits(out.data(), 2 * cbls, spare_bits, spare_q.data());
        return out.data();
    }
};

#if defined(__x86_64__) && defined(__GNUC__)
// Compiled for the popcnt instruction, with everything inlined into it (a function without
// the target cannot inline the instruction's intrinsic); chosen only where the CPU has it.
__attribute__((target("popcnt"), flatten)) void convert_popcnt(Model& m, std::vector<Word>& out) {
    m.convert_with<true>(out);
}
#endif

void Model::convert(std::vector<Word>& out) {
#if defined(__x86_64__) && defined(__GNUC__)
    if (isa == POPCNT) return convert_popcnt(*this, out);
#endif
    convert_with<false>(out);
}

constexpr int PHASES = 7, RESTORE = 5, ILLEGAL = PHASES + 1;

}  // namespace

extern "C" void* tlcim_model_new(int rows, int active, int cbls, int share, int code_bits,
                                 int top, int ideal, int shift, int sets, int cluster_size,
                                 int cells, int cluster_bits, int abits, int count_max,
                                 int m0, int m1, int m2, int m3, int m4, int m5, int m6) {
    Model* m = new Model();
    m->rows = rows; m->active = active; m->cbls = cbls; m->share = share;
    m->adcs = cbls / share; m->code_bits = code_bits; m->top = top; m->ideal = ideal;
    m->shift = shift; m->sets = sets; m->cluster_size = cluster_size; m->cells = cells;
    m->cluster_bits = cluster_bits; m->abits = abits; m->count_max = count_max;
    int minimum[PHASES] = {m0, m1, m2, m3, m4, m5, m6};
    std::memcpy(m->minimum, minimum, sizeof minimum);
    m->width = 2 * cells;
    m->nw = words_of(m->width); m->nc = words_of(2 * cbls); m->nr = words_of(2 * active);
    m->spare_bits = m->width - 2 * cbls;
    m->sram.assign((size_t)rows * m->nc, 0);
    m->columns.assign((size_t)(rows / active) * m->block_columns(), 0);
    m->generation.assign(rows / active, 0);
    m->zeros.assign(std::max({m->block_rows(), m->block_columns(), 3 * (size_t)m->nw}), 0);
    m->readback.copy.assign(m->block_rows(), 0);
    m->compute.copy.assign(m->block_columns(), 0);
    m->readback.read(m->zeros.data(), -2, 0);   // registers start at 0
    m->compute.read(m->zeros.data(), -2, 0);
    m->masks.assign(4 * (size_t)m->nr, 0);
    m->isa = choose_isa();
    m->levels.assign(m->adcs, 0);
    m->wl1.assign(words_of(active), 0); m->wl2.assign(words_of(active), 0);
    m->memo_wl1 = m->wl1; m->memo_wl2 = m->wl2;
    m->codes.assign(words_of(m->adcs * code_bits), 0);
    m->memo_codes = m->codes;
    m->spare.assign((size_t)rows * words_of(m->spare_bits), 0);
    m->spare_q.assign(words_of(m->spare_bits), 0);
    m->words.assign((size_t)sets * rows * m->nw, 0);
    m->rdata.copy.assign(m->nw, 0);
    m->rdata.read(m->zeros.data(), -2, 0);
    m->faults.assign((size_t)rows * 3 * m->nw, 0);
    m->fault_q.copy.assign(3 * (size_t)m->nw, 0);
    m->fault_q.read(m->zeros.data(), -2, 0);
    m->addr_bits = 1;
    while ((1 << m->addr_bits) < rows) ++m->addr_bits;
    m->block_mask = 0;
    while (m->block_mask < rows / active - 1) m->block_mask = 2 * m->block_mask + 1;
    m->wdata.assign(m->nw, 0); m->extended.assign(m->nw, 0);
    m->programmed.assign(m->nw, 0); m->weights.assign(m->nc, 0);
    m->row_wdata.assign(m->nw, 0); m->nvm_row_wdata.assign(m->nw, 0);
    m->fault_data.assign(3 * (size_t)m->nw, 0);
    m->out_codes = m->codes; m->out_rows.assign(m->nw, 0);
    m->out_spare.assign(m->spare_q.size(), 0);
    return m;
}

// The wide inputs of the coming edge, given only when their write enable is high (Verilator
// converts a wide DPI argument at every call): tlcim_model_step applies them.
extern "C" void tlcim_model_row_wdata(void* handle, const svBitVecVal* data) {
    Model& m = *static_cast<Model*>(handle);
    get_bits(data, 0, 2 * m.cbls, m.row_wdata.data());
}

extern "C" void tlcim_model_nvm_row_wdata(void* handle, const svBitVecVal* data) {
    Model& m = *static_cast<Model*>(handle);
    get_bits(data, 0, m.width, m.nvm_row_wdata.data());
}

extern "C" void tlcim_model_fault_data(void* handle, const svBitVecVal* data) {
    Model& m = *static_cast<Model*>(handle);
    for (int level = 0; level < 3; ++level)
        get_bits(data, level * m.width, m.width, &m.fault_data[(size_t)level * m.nw]);
}

// The outputs after the last edge, fetched only when tlcim_model_step says they changed.
extern "C" void tlcim_model_codes(void* handle, svBitVecVal* codes) {
    Model& m = *static_cast<Model*>(handle);
    put_bits(codes, m.adcs * m.code_bits, m.codes.data());
}

extern "C" void tlcim_model_rows(void* handle, svBitVecVal* row_rdata,
                                 svBitVecVal* nvm_row_rdata) {
    Model& m = *static_cast<Model*>(handle);
    put_bits(row_rdata, 2 * m.cbls, m.out_rows.data());
    put_bits(nvm_row_rdata, m.width, m.out_rows.data());
}

// One rising edge: the inputs as they were before it. Returns bit 0: the codes changed, bit 1:
// row_rdata and nvm_row_rdata changed, bit 2: busy, bit 3: protocol_error (after the edge).
extern "C" int tlcim_model_step(
        void* handle, svBit rst, int row_addr_in, svBit row_we, int block_in,
        const svBitVecVal* wl1_in, const svBitVecVal* wl2_in, int mux_in, int cluster_in,
        int sl_in, int pins, int nvm_row_addr_in, svBit nvm_row_we, svBit nvm_owner,
        int fault_addr_in, svBit fault_we) {
    Model& m = *static_cast<Model*>(handle);
    const int nw = m.nw, blocks = m.rows / m.active;
    const int addr_bits = m.addr_bits;

    // -- combinational values of this cycle, from the registers and the inputs --------------
    int pin_phase = ILLEGAL;
    if (pins == 0) pin_phase = 0;
    for (int i = 0; i < PHASES; ++i) if (pins == (1 << i)) pin_phase = i + 1;
    const int minimum = (m.phase >= 1 && m.phase <= PHASES) ? m.minimum[m.phase - 1] : 0;
    int successor = 0;
    if (m.phase >= 1 && m.phase <= PHASES)
        successor = (m.phase == RESTORE || m.phase == PHASES) ? 0 : m.phase + 1;
    const int select = (int)(cluster_in | (sl_in << m.cluster_bits));

    // Protocol checker (reset-less; see hw/reram_array.py).
    bool commit = false, violation = false;
    int commit_done = m.done;
    int phase = m.phase, count = m.count, done = m.done, held = m.held;
    bool active_op = m.active_op, is_store = m.is_store, spoiled = m.spoiled;
    bool entered_ok = m.entered_ok;
    if (pin_phase == m.phase) {
        if (m.count != m.count_max) count = m.count + 1;
        if (m.active_op && select != m.held) { violation = true; spoiled = true; }
    } else if (!m.active_op) {
        bool first = pin_phase == 1 || pin_phase == RESTORE + 1;
        phase = pin_phase; count = 1; done = 0; held = select; spoiled = false;
        entered_ok = first;
        if (pin_phase != 0) {
            active_op = true; is_store = pin_phase > RESTORE;
            if (!first) violation = true;
        }
    } else {
        bool moved = select != m.held && pin_phase != 0;
        bool leave_ok = m.entered_ok && m.count >= minimum && !moved && !m.spoiled;
        if (leave_ok) {
            if (m.phase >= 1 && m.phase <= PHASES) commit_done = m.done | (1 << (m.phase - 1));
            done = commit_done;
        }
        if (!leave_ok || pin_phase != successor) violation = true;
        if (m.spoiled || moved) { commit_done = 0; done = 0; spoiled = true; }
        phase = pin_phase; count = 1; entered_ok = pin_phase == successor;
        if (pin_phase == 0) { commit = true; active_op = false; }
    }

    // Copy engine (reset-less).
    const bool busy = m.copying || m.writing;
    const uint64_t abits_mask = (m.abits >= 64) ? ~0ull : ((1ull << m.abits) - 1);
    const uint64_t raddr = (m.c_base + m.row) & abits_mask;
    const uint64_t waddr = (m.c_base + m.row_q) & abits_mask;
    const int array_row_addr = m.c_store ? m.row : m.row_q;
    const bool ok_left = (m.c_done & 1) && (m.c_done & 2) && (m.c_done & 4);
    const bool ok_right = (m.c_done & 1) && (m.c_done & 8) && (m.c_done & 16);
    const bool ok_reset = m.c_done & 32, ok_set = m.c_done & 64;

    // Row-port arbitration: the copy, else the controller, else the datapath.
    std::vector<Word>& wdata = m.wdata;
    std::vector<Word>& extended = m.extended;
    std::vector<Word>& programmed = m.programmed;   // (wdata is whole wherever a write uses it)
    int addr; bool we;
    bool array_we = m.writing && !m.c_store, storage_we = m.writing && m.c_store;
    if (array_we || storage_we) {
        // copy_rows of hw/reram_array.py on whole rows: cells are bit pairs, so no word's
        // operation needs a neighbour's bits.
        const Word* sram_row = m.extended_row(extended);
        for (int w = 0; w < nw; ++w) {
            int bits = m.width - 64 * w;
            Word mask = bits >= 64 ? ~Word(0) : ((Word(1) << bits) - 1);
            Word even = 0x5555555555555555ull & mask, odd = even << 1;
            Word code = m.rdata.data()[w], high = code >> 1;
            Word hrs = ~code & ~high & even, mrs = ~code & high & even, lrs = code & high & even;
            hrs |= hrs << 1; mrs |= mrs << 1; lrs |= lrs << 1;
            const Word* fault = m.fault_q.data();
            Word x = (fault[w] & hrs) | (fault[nw + w] & mrs) | (fault[2 * nw + w] & lrs);
            Word read = code ^ x;
            wdata[w] = (~read | (ok_left ? 0 : even) | (ok_right ? 0 : odd)) & mask;
            Word s = sram_row[w];
            Word fresh = ok_set ? (((~s & ~(s >> 1)) & even) | (~s & odd)) : 0;
            programmed[w] = (ok_reset ? fresh : (fresh | code)) & mask;
        }
    }
    if (busy) {
        addr = array_row_addr; we = array_we;
    } else if (nvm_owner) {
        addr = (int)nvm_row_addr_in; we = nvm_row_we;
        if (we) std::copy(m.nvm_row_wdata.begin(), m.nvm_row_wdata.end(), wdata.begin());
    } else {
        addr = (int)row_addr_in; we = row_we;
        if (we) std::copy(m.row_wdata.begin(), m.row_wdata.end(), wdata.begin());
    }
    // The stub's SRAM takes the block index in its address width: beyond the last row (the
    // copy's row counter reaches rows, which only a power of two wraps) it aliases a block.
    const int row_block = (addr / m.active) & m.block_mask, row_offset = addr % m.active;
    const int block = (int)block_in & m.block_mask;   // in the SRAM's address width

    // -- the clock edge: reads see the memories before this edge's writes --------------------
    // Stub, compute port: the compute register takes the block (old contents), the codes are
    // converted from the registers as they were.
    if (rst) {
        std::fill(m.codes.begin(), m.codes.end(), 0);
    } else {
        bool hit = m.memo_valid && m.memo_block == m.compute.block
                    && m.memo_generation == m.compute.generation && m.memo_mux == m.mux
                    && same(m.memo_wl1, m.wl1) && same(m.memo_wl2, m.wl2);
        if (!hit) {
            m.convert(m.memo_codes);   // (writes every word)
            m.memo_valid = true; m.memo_block = m.compute.block;
            m.memo_generation = m.compute.generation; m.memo_mux = m.mux;
            std::copy(m.wl1.begin(), m.wl1.end(), m.memo_wl1.begin());
            std::copy(m.wl2.begin(), m.wl2.end(), m.memo_wl2.begin());
        }
        std::copy(m.memo_codes.begin(), m.memo_codes.end(), m.codes.begin());
    }
    if (block < blocks)
        m.compute.read(&m.columns[(size_t)block * m.block_columns()], block, m.generation[block]);
    else   // outside the memory: reads 0
        m.compute.read(m.zeros.data(), -2, 0);
    if (rst) {
        std::fill(m.wl1.begin(), m.wl1.end(), 0); std::fill(m.wl2.begin(), m.wl2.end(), 0);
        m.mux = 0;
    } else {
        if (m.active <= 64) {   // the usual case, without the general copy
            Word mask = m.active == 64 ? ~Word(0) : (Word(1) << m.active) - 1;
            m.wl1[0] = (wl1_in[0] | Word(wl1_in[1]) << 32) & mask;
            m.wl2[0] = (wl2_in[0] | Word(wl2_in[1]) << 32) & mask;
        } else {
            get_bits(wl1_in, 0, m.active, m.wl1.data());
            get_bits(wl2_in, 0, m.active, m.wl2.data());
        }
        m.mux = (int)mux_in;
    }

    // Stub, row port; the spare cells beside it.
    const int spare_words = words_of(m.spare_bits);
    if (row_block < blocks)
        m.readback.read(m.sram_row(row_block * m.active), row_block, m.generation[row_block]);
    else
        m.readback.read(m.zeros.data(), -2, 0);
    if (addr < m.rows)
        std::memcpy(m.spare_q.data(), &m.spare[(size_t)addr * spare_words],
                    spare_words * sizeof(Word));
    else
        std::fill(m.spare_q.begin(), m.spare_q.end(), 0);
    m.offset_q = rst ? 0 : row_offset;
    if (we && row_block < blocks) {
        extract(wdata.data(), 0, 2 * m.cbls, m.weights.data());
        m.write_row(row_block * m.active + row_offset, m.weights.data());
    }
    if (we && addr < m.rows)
        extract(wdata.data(), 2 * m.cbls, m.spare_bits, &m.spare[(size_t)addr * spare_words]);

    // Weight-set storage and fault map.
    const uint64_t depth = (uint64_t)m.sets * m.rows;
    if (raddr < depth) m.rdata.read(&m.words[raddr * nw], (int)raddr, 0);
    else m.rdata.read(m.zeros.data(), -2, 0);
    if (storage_we && waddr < depth) {
        m.rdata.before_write((int)waddr, nw);
        std::memcpy(&m.words[waddr * nw], programmed.data(), nw * sizeof(Word));
    }
    if (m.row < m.rows) m.fault_q.read(&m.faults[(size_t)m.row * 3 * nw], m.row, 0);
    else m.fault_q.read(m.zeros.data(), -2, 0);
    if (fault_we) {
        int fault_addr = (int)fault_addr_in;
        if (fault_addr < m.rows) {
            m.fault_q.before_write(fault_addr, 3 * (size_t)nw);
            std::copy(m.fault_data.begin(), m.fault_data.end(),
                      &m.faults[(size_t)fault_addr * 3 * nw]);
        }
    }

    // Copy engine and checker registers.
    const int set_index = (m.held & ((1 << m.cluster_bits) - 1)) * m.cluster_size
                          + (m.held >> m.cluster_bits);
    bool copying = m.copying; int row = m.row;
    if (commit) {
        copying = true; row = 0; m.c_store = m.is_store; m.c_done = commit_done;
        m.c_base = ((uint64_t)set_index * m.rows) & abits_mask;
    } else if (m.copying) {
        row = (m.row + 1) & ((1 << addr_bits) - 1);
        if (m.row == m.rows - 1) copying = false;
    }
    m.writing = m.copying; m.row_q = m.row;
    m.copying = copying; m.row = row;
    m.phase = phase; m.count = count; m.done = done; m.held = held;
    m.active_op = active_op; m.is_store = is_store; m.spoiled = spoiled;
    m.entered_ok = entered_ok;
    m.protocol_error = rst ? false : (m.protocol_error || violation);

    // -- outputs: functions of the registers after the edge ----------------------------------
    // (row_rdata is the extended row's first 2 * cbls bits.) The row is made again only when
    // what it is made of moved: another block or contents, offset or spare cells.
    int status = (m.copying || m.writing ? 4 : 0) | (m.protocol_error ? 8 : 0);
    if (!same(m.codes, m.out_codes)) {
        std::copy(m.codes.begin(), m.codes.end(), m.out_codes.begin());
        status |= 1;
    }
    if (m.readback.block != m.out_block || m.readback.generation != m.out_generation
            || m.offset_q != m.out_offset || !same(m.spare_q, m.out_spare)) {
        m.out_block = m.readback.block; m.out_generation = m.readback.generation;
        m.out_offset = m.offset_q;
        std::copy(m.spare_q.begin(), m.spare_q.end(), m.out_spare.begin());
        m.extended_row(extended);
        if (!same(extended, m.out_rows)) {
            std::copy(extended.begin(), extended.end(), m.out_rows.begin());
            status |= 2;
        }
    }
    return status;
}
