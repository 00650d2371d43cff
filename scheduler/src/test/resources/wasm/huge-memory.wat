;; huge-memory: declares an initial linear memory of 60000 pages (about 3.7 GiB); must be rejected at deploy.
(module
  (memory (export "memory") 60000)
  (func (export "_start")))
