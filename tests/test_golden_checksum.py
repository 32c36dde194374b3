"""tlcim.golden.checksum: the weight-set integrity checksum; every single and double misread is
caught, exhaustively on small rows, and by syndromes on the paper's row length."""

import itertools

import numpy as np
import pytest

from tlcim.golden import checksum
from tlcim.golden.trits import WEIGHT_Q

#: Adjacent levels a misread can move each trit to (SPEC 6).
NEIGHBOURS = {-1: (0,), 0: (-1, 1), 1: (0,)}


def _reference_crc(bits, width, poly):
    crc = 0
    for bit in bits:
        feedback = ((crc >> (width - 1)) & 1) ^ int(bit)
        crc = ((crc << 1) & ((1 << width) - 1)) ^ (poly if feedback else 0)
    return crc


def _sram(trits):
    # Extended-row trits -> SRAM bits, CBL c at [2c] = Q1, [2c + 1] = Q2 (SPEC 4).
    q = np.asarray(WEIGHT_Q)[np.asarray(trits) + 1]
    return q.reshape(*q.shape[:-2], -1)


def _stored_row(weight_trits):
    bits = _sram(weight_trits)
    return np.concatenate([bits, checksum.spare_sram_bits(bits)], axis=-1)


def _trits_of(bits):
    q1, q2 = bits[..., 0::2], bits[..., 1::2]
    return 1 - q1.astype(np.int8) - q2.astype(np.int8)


def test_crc_matches_bitwise_definition(rng):
    for row_bits in (8, 40, 127, 320):
        width, poly = checksum.crc_params(row_bits)
        bits = rng.integers(0, 2, (6, row_bits))
        assert checksum.row_checksums(bits).tolist() == \
            [_reference_crc(row, width, poly) for row in bits]


def test_crc_choice():
    # The brief's CRC-8 where it detects every double error; CRC-10 on the paper's row.
    assert checksum.crc_params(40) == (8, 0x07)
    assert checksum.crc_params(127) == (8, 0x07)
    assert checksum.crc_params(320) == (10, 0x233)
    assert checksum.spare_cells(160) == 11
    assert checksum.spare_cells(20) == 9


def test_crc8_misses_a_double_error_on_paper_rows():
    # Why the paper row does not use CRC-8: its period is 127.
    matrix = checksum.crc_matrix(320, 8, 0x07)
    assert (matrix[0] == matrix[127]).all()


@pytest.mark.parametrize("row_bits", [40, 320])
def test_every_double_bit_error_changes_the_crc(row_bits):
    syndromes = checksum.crc_matrix(row_bits).astype(np.int64) @ \
        (1 << np.arange(checksum.crc_params(row_bits)[0]))
    pairs = syndromes[:, None] ^ syndromes[None, :]
    assert np.all(syndromes != 0)
    assert np.count_nonzero(pairs == 0) == row_bits   # only the diagonal (no error at all)


def test_every_odd_error_detected(rng):
    matrix = checksum.crc_matrix(320).astype(np.int64)
    for weight in (1, 3, 5, 7):
        for _ in range(200):
            error = np.zeros(320, dtype=np.int64)
            error[rng.choice(320, weight, replace=False)] = 1
            assert ((error @ matrix) & 1).any()


def test_fault_free_rows_verify(rng):
    trits = rng.integers(-1, 2, (16, 20))
    assert checksum.verify_rows(_stored_row(trits)) == (False, [])


def test_every_single_and_double_misread_detected_exhaustively():
    cbls = 3
    rows = np.array(list(itertools.product((-1, 0, 1), repeat=cbls)))   # all 27 rows
    stored = _trits_of(_stored_row(rows))                              # extended trits
    cells = stored.shape[1]
    checked = 0
    for row in stored:
        misreads = [(c, level) for c in range(cells) for level in NEIGHBOURS[int(row[c])]]
        for count in (1, 2):
            for combo in itertools.combinations(misreads, count):
                if count == 2 and combo[0][0] == combo[1][0]:
                    continue   # one cell reads one level
                read = row.copy()
                for c, level in combo:
                    read[c] = level
                bits = _sram(read)[None]
                empty, bad = checksum.verify_rows(bits)
                assert (empty, bad) == (False, [0]), combo
                checked += 1
    assert checked == 2439   # 27 rows, every single and double misread


def test_never_stored_set_reads_empty():
    # A never-programmed ReRAM is HRS: every cell restores as (1, 1).
    cbls = 20
    rows = np.ones((4, 2 * (cbls + checksum.spare_cells(cbls))), dtype=np.uint8)
    assert checksum.verify_rows(rows) == (True, [])


def test_bad_rows_are_located(rng):
    bits = _stored_row(rng.integers(-1, 2, (8, 20)))
    bits[5, 2 * 7] ^= 1         # Q1 of CBL 7 in row 5
    bits[2, -1] ^= 1            # marker of row 2 now (0, 1)
    assert checksum.verify_rows(bits) == (False, [2, 5])


@pytest.mark.parametrize("call, message", [
    (lambda: checksum.crc_params(0), "row_bits must be a positive integer, not 0"),
    (lambda: checksum.row_checksums([[2, 0]]), "bits must be an array of 0/1 SRAM bits"),
    (lambda: checksum.verify_rows(np.zeros((2, 7), dtype=np.uint8)),
     "rows must be a 2-D array of extended rows with an even number of bits"),
    (lambda: checksum.verify_rows(np.zeros((2, 8), dtype=np.uint8)),
     "rows must have 2 \\* \\(cbls \\+ spare_cells\\(cbls\\)\\) bits, not 8"),
])
def test_messages(call, message):
    with pytest.raises(ValueError, match=message):
        call()
