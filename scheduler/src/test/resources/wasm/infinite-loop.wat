;; infinite-loop: spins forever without any host call; only the wall-clock timeout can stop it.
(module
  (func (export "_start")
    (loop $forever (br $forever))))
