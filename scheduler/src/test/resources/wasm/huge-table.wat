;; huge-table: declares a funcref table of 5 000 000 elements (tens of MiB of host heap per instance in Chicory,
;; which allocates tables eagerly); must be rejected at deploy.
(module
  (table 5000000 funcref)
  (func (export "_start")))
