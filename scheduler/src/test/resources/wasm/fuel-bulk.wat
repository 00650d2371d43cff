;; fuel-bulk: grows memory by 3 pages, then fills 100 bytes.
;;   i32.const, memory.grow (1 + 3 x 1000), drop                  = 3003
;;   i32.const x 3, memory.fill (1 + 100 x 1)                     = 104
;; Fuel: 3107.
(module
  (memory 1)
  (func (export "_start")
    (drop (memory.grow (i32.const 3)))
    (memory.fill (i32.const 0) (i32.const 42) (i32.const 100))))
