;; fuel-start-loop: the module's start function spins forever, before _start could ever run.
(module
  (func $spin (loop $forever (br $forever)))
  (start $spin)
  (func (export "_start")))
