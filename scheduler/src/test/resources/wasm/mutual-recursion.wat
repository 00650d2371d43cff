;; mutual-recursion: $ping calls $pong calls $ping, with no base case and a local each: exhausts any call stack.
(module
  (func $ping (param $n i64) (result i64)
    (local $x i64)
    (i64.add (call $pong (i64.add (local.get $n) (i64.const 1))) (local.get $x)))
  (func $pong (param $n i64) (result i64)
    (local $y i64)
    (i64.add (call $ping (i64.add (local.get $n) (i64.const 1))) (local.get $y)))
  (func (export "_start")
    (drop (call $ping (i64.const 0)))))
