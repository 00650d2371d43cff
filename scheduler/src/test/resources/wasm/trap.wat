;; trap: executes `unreachable` immediately.
(module
  (func (export "_start") unreachable))
