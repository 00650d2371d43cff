;; trap-table-bounds: call_indirect through slot 5 of a one-slot table: traps (undefined element).
(module
  (type $void (func))
  (table 1 funcref)
  (elem (i32.const 0) $nop)
  (func $nop)
  (func (export "_start")
    (call_indirect (type $void) (i32.const 5))))
