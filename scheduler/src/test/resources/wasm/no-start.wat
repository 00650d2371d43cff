;; no-start: a valid module that exports "main" but no "_start"; must be rejected at deploy.
(module
  (func (export "main")))
