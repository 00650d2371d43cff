;; trap-overflow: i32.div_s(INT_MIN, -1), whose result does not fit in an i32: traps with "integer overflow".
(module
  (func (export "_start")
    (drop (i32.div_s (i32.const 0x80000000) (i32.const -1)))))
