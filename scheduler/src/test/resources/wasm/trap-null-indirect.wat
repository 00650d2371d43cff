;; trap-null-indirect: call_indirect through slot 0 of a table whose only slot is null: traps.
(module
  (type $void (func))
  (table 1 funcref)
  (func (export "_start")
    (call_indirect (type $void) (i32.const 0))))
