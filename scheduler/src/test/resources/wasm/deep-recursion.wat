;; deep-recursion: a non-tail recursive function with no base case; exhausts any call stack.
(module
  (func $recurse (param $depth i32) (result i32)
    (i32.add (call $recurse (i32.add (local.get $depth) (i32.const 1))) (i32.const 1)))
  (func (export "_start")
    (drop (call $recurse (i32.const 0)))))
