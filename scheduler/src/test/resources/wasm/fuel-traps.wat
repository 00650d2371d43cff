;; fuel-traps: traps of every kind, inside loops and deep in call chains, for the differential test
;; (TierDifferentialTest: interpreter and compiled code must agree on the outcome, the fuel and stdout).
;; stdin selects the scenario: byte 0 the trap ('0' out of bounds, '1' division by zero, '2' unreachable,
;; '3' null call_indirect, '4' no trap: return, '5' endless loop: fuel exhaustion, '6' recursion of large frames:
;; the stack budget, '7' recursion of small frames: the JVM stack), byte 1 where ('a' in a loop of the first
;; function, 'b' 300 calls deep with a loop at every level, 'c' the same through call_indirect). Every level
;; writes a line to stderr before going deeper, every 100th iteration of a loop a dot (a failure reports stderr);
;; a run that returns writes a line to stdout.
(module
  (type $level (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (table 3 funcref)
  (elem (i32.const 0) $indirect_level $big)
  (data (i32.const 64) "level\n.")

  ;; writes len bytes at ptr to stderr (iovec at 0, count at 8)
  (func $write (param $ptr i32) (param $len i32)
    (call $write_to (i32.const 2) (local.get $ptr) (local.get $len)))

  (func $write_to (param $fd i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))

  ;; the trap itself, or nothing ('4'); a value the caller adds
  (func $trap (param $kind i32) (result i32)
    (block $none
      (block $stack_small
        (block $stack_big
          (block $endless
            (block $null
              (block $unreachable
                (block $div
                  (block $oob
                    (br_table $oob $div $unreachable $null $none $endless $stack_big $stack_small $none
                      (local.get $kind)))
                  (return (i32.load (i32.const -4))))
                (return (i32.div_u (local.get $kind) (i32.sub (local.get $kind) (i32.const 1)))))
              (unreachable))
            (return (call_indirect (type $level) (i32.const 0) (i32.const 0) (i32.const 2))))
          (loop $forever (br $forever)))
        (return (call $big (i32.const 0) (i32.const 0))))
      (return (call $small (i32.const 0))))
    (i32.const 7))

  ;; a loop of 250 iterations, a dot every 100th, then the trap
  (func $loop_then_trap (param $kind i32) (result i32)
    (local $i i32) (local $sum i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (i32.const 250)))
        (if (i32.eqz (i32.rem_u (local.get $i) (i32.const 100)))
          (then (call $write (i32.const 70) (i32.const 1))))
        (local.set $sum (i32.add (local.get $sum) (i32.mul (local.get $i) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.add (local.get $sum) (call $trap (local.get $kind))))

  ;; depth levels of calls, each with a short loop and a line of output before going deeper
  (func $level (param $depth i32) (param $kind i32) (result i32)
    (local $i i32) (local $sum i32)
    (call $write (i32.const 64) (i32.const 6))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (i32.const 5)))
        (local.set $sum (i32.add (local.get $sum) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (if (result i32) (i32.eqz (local.get $depth))
      (then (i32.add (local.get $sum) (call $loop_then_trap (local.get $kind))))
      (else (i32.add (local.get $sum)
                     (call $level (i32.sub (local.get $depth) (i32.const 1)) (local.get $kind))))))

  (func $indirect_level (param $depth i32) (param $kind i32) (result i32)
    (if (result i32) (i32.eqz (local.get $depth))
      (then (call $loop_then_trap (local.get $kind)))
      (else (i32.add (i32.const 1)
                     (call_indirect (type $level) (i32.sub (local.get $depth) (i32.const 1)) (local.get $kind)
                                    (i32.const 0))))))

  ;; endless recursion of a frame of 100 i32 locals (charged to the stack budget: deterministic depth)
  (func $big (param $a i32) (param $b i32) (result i32)
    (local i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32
           i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32
           i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32
           i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32
           i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (local.set 50 (local.get $a))
    (i32.add (local.get 50) (call $big (i32.add (local.get $a) (i32.const 1)) (local.get 77))))

  ;; endless recursion of a small frame (uncharged: the JVM stack ends it)
  (func $small (param $a i32) (result i32)
    (i32.add (i32.const 1) (call $small (i32.add (local.get $a) (i32.const 1)))))

  (func (export "_start")
    (local $kind i32) (local $where i32)
    ;; read two bytes of stdin to 16
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 2))
    (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
    (local.set $kind (i32.sub (i32.load8_u (i32.const 16)) (i32.const 48)))
    (local.set $where (i32.load8_u (i32.const 17)))
    (drop
      (if (result i32) (i32.eq (local.get $where) (i32.const 97)) ;; 'a'
        (then (call $loop_then_trap (local.get $kind)))
        (else (if (result i32) (i32.eq (local.get $where) (i32.const 98)) ;; 'b'
          (then (call $level (i32.const 300) (local.get $kind)))
          (else (call_indirect (type $level) (i32.const 300) (local.get $kind) (i32.const 0)))))))
    (call $write_to (i32.const 1) (i32.const 64) (i32.const 6))))
