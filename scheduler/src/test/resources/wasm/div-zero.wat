;; div-zero: divides 1 by 0 (i32.div_s), which traps with "integer divide by zero".
(module
  (func $div (param $a i32) (param $b i32) (result i32)
    (i32.div_s (local.get $a) (local.get $b)))
  (func (export "_start")
    (drop (call $div (i32.const 1) (i32.const 0)))))
