"""A few A64 instruction encodings for the Python tests (checked against GNU as), so that test
programs read as assembly. Registers are numbers; offsets are in bytes."""


def add_imm(d: int, n: int, imm: int) -> int:  # add xd, xn, #imm
    return 0x91000000 | imm << 10 | n << 5 | d


def sub_imm(d: int, n: int, imm: int) -> int:  # sub xd, xn, #imm
    return 0xD1000000 | imm << 10 | n << 5 | d


def subs_imm(d: int, n: int, imm: int) -> int:  # subs xd, xn, #imm
    return 0xF1000000 | imm << 10 | n << 5 | d


def movz(d: int, imm16: int, shift: int = 0) -> int:  # movz xd, #imm16, lsl #shift
    return 0xD2800000 | (shift // 16) << 21 | imm16 << 5 | d


def b(offset: int) -> int:  # b .+offset
    return 0x14000000 | ((offset >> 2) & 0x3FFFFFF)


def cbnz(t: int, offset: int) -> int:  # cbnz xt, .+offset
    return 0xB5000000 | ((offset >> 2) & 0x7FFFF) << 5 | t


def str_x(t: int, n: int, imm: int = 0) -> int:  # str xt, [xn, #imm]
    return 0xF9000000 | (imm // 8) << 10 | n << 5 | t


def ldr_x(t: int, n: int, imm: int = 0) -> int:  # ldr xt, [xn, #imm]
    return 0xF9400000 | (imm // 8) << 10 | n << 5 | t


def add_v2d(d: int, n: int, m: int) -> int:  # add vd.2d, vn.2d, vm.2d
    return 0x4EE08400 | m << 16 | n << 5 | d


def mrs_tpidr(t: int) -> int:  # mrs xt, tpidr_el0
    return 0xD53BD040 | t


def mrs_nzcv(t: int) -> int:  # mrs xt, nzcv
    return 0xD53B4200 | t


def hlt(imm: int = 0) -> int:
    return 0xD4400000 | imm << 5


def svc(imm: int = 0) -> int:
    return 0xD4000001 | imm << 5


def brk(imm: int = 0) -> int:
    return 0xD4200000 | imm << 5


UDF = 0x00000000  # udf #0: permanently undefined

# The seed's two benchmark loops.
ADD_B = [add_imm(0, 0, 1), b(-4)]  # add x0, x0, #1; b .-4
ADD_STR_B = [add_imm(0, 0, 1), str_x(0, 1), b(-8)]  # ...; str x0, [x1]; b .-8
