;; hello: a WAGI function for Sluice, written by hand in the WebAssembly text format.
;;
;; Responds "Content-Type: text/plain", then the body "hello <name>\nyou sent <N> bytes\n", where <name> is the
;; `name` query parameter ("world" when absent) and <N> the number of bytes of the request body (stdin).
;; Example: QUERY_STRING=name=ada and stdin "xyz" give "hello ada\nyou sent 3 bytes\n". Exit code 0.
;;
;; The query rules, shared by every example: QUERY_STRING is split on '&'; the first field whose key (the text
;; before the first '=', not decoded) is exactly "name" wins; its value is what follows that '=' (empty without
;; one), with '+' read as a space and "%XX" (two hex digits) as that byte; any other '%' is kept as is.
;;
;; Memory map: 0..12 fd_write iovec + count, 16..28 fd_read iovec + count, 32..40 environ sizes, 64..141 constants,
;; 224..256 decimal digits, 256..4352 stdin buffer, 8192.. environ pointers then strings (memory grows to fit).
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "Content-Type: text/plain\n\nhello ") ;; 32 bytes
  (data (i32.const 96) "world")                              ;; 5 bytes
  (data (i32.const 104) "\nyou sent ")                       ;; 10 bytes
  (data (i32.const 120) " bytes\n")                          ;; 7 bytes
  (data (i32.const 128) "QUERY_STRING=")                     ;; 13 bytes

  ;; Writes [ptr, ptr + len) to stdout, looping over short writes; gives up on an error.
  (func $write (param $ptr i32) (param $len i32)
    (local $n i32)
    (block $done
      (loop $again
        (br_if $done (i32.eqz (local.get $len)))
        (i32.store (i32.const 0) (local.get $ptr))
        (i32.store (i32.const 4) (local.get $len))
        (br_if $done (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
        (local.set $n (i32.load (i32.const 8)))
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $ptr (i32.add (local.get $ptr) (local.get $n)))
        (local.set $len (i32.sub (local.get $len) (local.get $n)))
        (br $again))))

  ;; Writes $n in decimal.
  (func $write_number (param $n i64)
    (local $p i32)
    (local.set $p (i32.const 256))
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i64.store8 (local.get $p) (i64.add (i64.const 48) (i64.rem_u (local.get $n) (i64.const 10))))
      (local.set $n (i64.div_u (local.get $n) (i64.const 10)))
      (br_if $digit (i64.ne (local.get $n) (i64.const 0))))
    (call $write (local.get $p) (i32.sub (i32.const 256) (local.get $p))))

  ;; Bytes read from stdin until end of file (or a read error).
  (func $body_length (result i64)
    (local $total i64) (local $n i32)
    (block $eof
      (loop $more
        (i32.store (i32.const 16) (i32.const 256))
        (i32.store (i32.const 20) (i32.const 4096))
        (br_if $eof (call $fd_read (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 24)))
        (local.set $n (i32.load (i32.const 24)))
        (br_if $eof (i32.eqz (local.get $n)))
        (local.set $total (i64.add (local.get $total) (i64.extend_i32_u (local.get $n))))
        (br $more)))
    (local.get $total))

  ;; 1 when the NUL-terminated string at $p starts with "QUERY_STRING=".
  (func $is_query_string (param $p i32) (result i32)
    (local $k i32)
    (block $mismatch
      (loop $cmp
        (if (i32.eq (local.get $k) (i32.const 13)) (then (return (i32.const 1))))
        (br_if $mismatch (i32.ne (i32.load8_u (i32.add (local.get $p) (local.get $k)))
                                 (i32.load8_u (i32.add (i32.const 128) (local.get $k)))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $cmp)))
    (i32.const 0))

  ;; Address of QUERY_STRING's NUL-terminated value, or 0 when it is unset (or memory cannot grow to hold the
  ;; environment).
  (func $query_string (result i32)
    (local $count i32) (local $pages i32) (local $i i32) (local $p i32)
    (if (call $environ_sizes_get (i32.const 32) (i32.const 36)) (then (return (i32.const 0))))
    (local.set $count (i32.load (i32.const 32)))
    (local.set $pages
      (i32.shr_u
        (i32.add (i32.add (i32.const 73727) ;; 8192 + 65535, to round up to whole pages
                          (i32.shl (local.get $count) (i32.const 2)))
                 (i32.load (i32.const 36)))
        (i32.const 16)))
    (if (i32.gt_u (local.get $pages) (memory.size))
      (then
        (if (i32.eq (memory.grow (i32.sub (local.get $pages) (memory.size))) (i32.const -1))
          (then (return (i32.const 0))))))
    (if (call $environ_get (i32.const 8192) (i32.add (i32.const 8192) (i32.shl (local.get $count) (i32.const 2))))
      (then (return (i32.const 0))))
    (block $notfound
      (loop $each
        (br_if $notfound (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $p (i32.load (i32.add (i32.const 8192) (i32.shl (local.get $i) (i32.const 2)))))
        (if (call $is_query_string (local.get $p)) (then (return (i32.add (local.get $p) (i32.const 13)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (i32.const 0))

  ;; Value of the hex digit $c, or -1.
  (func $hex (param $c i32) (result i32)
    (if (i32.lt_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 10))
      (then (return (i32.sub (local.get $c) (i32.const 48)))))
    (local.set $c (i32.or (local.get $c) (i32.const 32))) ;; lower case
    (if (i32.lt_u (i32.sub (local.get $c) (i32.const 97)) (i32.const 6))
      (then (return (i32.sub (local.get $c) (i32.const 87)))))
    (i32.const -1))

  ;; Decodes [$start, $end) in place ('+' and %XX never lengthen it) and returns the decoded length.
  (func $decode (param $start i32) (param $end i32) (result i32)
    (local $r i32) (local $w i32) (local $c i32) (local $hi i32) (local $lo i32)
    (local.set $r (local.get $start))
    (local.set $w (local.get $start))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $r) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $r)))
        (if (i32.eq (local.get $c) (i32.const 43)) ;; '+'
          (then (local.set $c (i32.const 32)))
          (else
            (if (i32.and (i32.eq (local.get $c) (i32.const 37)) ;; '%' with two bytes after it
                         (i32.lt_u (i32.add (local.get $r) (i32.const 2)) (local.get $end)))
              (then
                (local.set $hi (call $hex (i32.load8_u (i32.add (local.get $r) (i32.const 1)))))
                (local.set $lo (call $hex (i32.load8_u (i32.add (local.get $r) (i32.const 2)))))
                (if (i32.and (i32.ge_s (local.get $hi) (i32.const 0)) (i32.ge_s (local.get $lo) (i32.const 0)))
                  (then
                    (local.set $c (i32.or (i32.shl (local.get $hi) (i32.const 4)) (local.get $lo)))
                    (local.set $r (i32.add (local.get $r) (i32.const 2)))))))))
        (i32.store8 (local.get $w) (local.get $c))
        (local.set $w (i32.add (local.get $w) (i32.const 1)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $next)))
    (i32.sub (local.get $w) (local.get $start)))

  ;; Writes the name: the first "name" field of the NUL-terminated query at $field (0: unset), or "world".
  (func $write_name (param $field i32)
    (local $end i32) (local $key i32) (local $value i32)
    (if (local.get $field)
      (then
        (block $fields_done
          (loop $each_field
            (br_if $fields_done (i32.eqz (i32.load8_u (local.get $field))))
            ;; $end: the '&' or NUL after this field; $key: the first '=' in it, or $end.
            (local.set $end (local.get $field))
            (block $found_end
              (loop $scan
                (br_if $found_end (i32.eqz (i32.load8_u (local.get $end))))
                (br_if $found_end (i32.eq (i32.load8_u (local.get $end)) (i32.const 38)))
                (local.set $end (i32.add (local.get $end) (i32.const 1)))
                (br $scan)))
            (local.set $key (local.get $field))
            (block $found_key
              (loop $scan
                (br_if $found_key (i32.ge_u (local.get $key) (local.get $end)))
                (br_if $found_key (i32.eq (i32.load8_u (local.get $key)) (i32.const 61)))
                (local.set $key (i32.add (local.get $key) (i32.const 1)))
                (br $scan)))
            (if (i32.and (i32.eq (i32.sub (local.get $key) (local.get $field)) (i32.const 4))
                         (i32.eq (i32.load (local.get $field)) (i32.const 0x656d616e))) ;; "name", little-endian
              (then
                (local.set $value
                  (select (i32.add (local.get $key) (i32.const 1)) (local.get $end)
                          (i32.lt_u (local.get $key) (local.get $end))))
                (call $write (local.get $value) (call $decode (local.get $value) (local.get $end)))
                (return)))
            (local.set $field
              (select (i32.add (local.get $end) (i32.const 1)) (local.get $end)
                      (i32.eq (i32.load8_u (local.get $end)) (i32.const 38))))
            (br $each_field)))))
    (call $write (i32.const 96) (i32.const 5)))

  (func (export "_start")
    (local $received i64)
    (local.set $received (call $body_length))
    (call $write (i32.const 64) (i32.const 32))
    (call $write_name (call $query_string))
    (call $write (i32.const 104) (i32.const 10))
    (call $write_number (local.get $received))
    (call $write (i32.const 120) (i32.const 7))))
