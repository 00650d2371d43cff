;; data-past-memory: a one-page memory (declared maximum 1) with a 100-byte data segment at offset 65500, which
;; does not fit: instantiation fails with an out-of-bounds memory access before _start runs.
(module
  (memory 1 1)
  (data (i32.const 65500) "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789")
  (func (export "_start")))
