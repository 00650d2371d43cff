;; fuel-calls: _start calls $seven twice directly and once through the table.
;;   _start: call (5), drop, call (5), drop, i32.const, call_indirect (5), drop = 19
;;   $seven: i32.const = 1, three times = 3
;; Fuel: 22.
(module
  (type $get (func (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $seven)
  (func $seven (type $get) (i32.const 7))
  (func (export "_start")
    (drop (call $seven))
    (drop (call $seven))
    (drop (call_indirect (type $get) (i32.const 0)))))
