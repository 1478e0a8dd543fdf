// The seed corpus's static AArch64 program: exit(0).
  .globl _start
  .text
_start:
  mov x0, #0
  mov x8, #93
  svc #0
  .data
value:
  .quad 42
  .bss
buffer:
  .skip 8192
