;; trap-indirect-type: call_indirect expecting () -> () of a function of type (i32) -> i32: traps with
;; "indirect call type mismatch".
(module
  (type $void (func))
  (table 1 funcref)
  (elem (i32.const 0) $inc)
  (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func (export "_start")
    (call_indirect (type $void) (i32.const 0))))
