;; fuel-empty: a _start that does nothing. Fuel: 0 (its only instruction is the final end, which is free).
(module
  (func (export "_start")))
