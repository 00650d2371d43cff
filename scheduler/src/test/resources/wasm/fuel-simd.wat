;; fuel-simd: uses a SIMD instruction, which fuel metering does not support.
(module
  (func (export "_start")
    (drop (v128.const i32x4 1 2 3 4))))
