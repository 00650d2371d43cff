;; trap-conversion: i32.trunc_f32_s of NaN: traps with "invalid conversion to integer".
(module
  (func (export "_start")
    (drop (i32.trunc_f32_s (f32.const nan)))))
