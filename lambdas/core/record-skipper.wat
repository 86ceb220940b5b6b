;; The record skipper: finds where the records of a CloudTrail log's Records array end, and where each one's
;; own eventSource value is, 64 bytes per step with SIMD. lambdas/core/record-skipper.ts drives it;
;; `npm run build:wasm` turns this file into record-skipper-wasm.generated.ts (the test keeps them equal).
;;
;; The chunk is copied to memory at 0. scan(pos, len) starts at the '{' of a record at pos and walks as many
;; whole records as the chunk holds (separated by ',' and whitespace); for each it writes five i32 at OUT:
;; start, end (just past its '}'), what its own eventSource is (0 none, 1 not a string, 2 a string), and that
;; string's content as [from, to). It returns the index just past the last whole record's '}' (pos when
;; there is none) and leaves their number in the global `count`. It stops, leaving the rest to the
;; JavaScript scanner, at the end of the chunk, at anything but ',' '{' between records, at a ']' closing a
;; record, at a record key with a backslash, and when OUT is full. Like the JavaScript scanner it only
;; counts brackets inside a record (JSON.parse checks the records that are kept).
(module
  (memory (export "memory") 64)
  (global $count (export "count") (mut i32) (i32.const 0))
  ;; Where the table of records starts, and how many it holds: both set by the caller.
  (global $out (export "out") (mut i32) (i32.const 0))
  (global $max (export "max") (mut i32) (i32.const 0))
  ;; Set by $str when the string had a backslash.
  (global $bs (mut i32) (i32.const 0))

  ;; Index of the quote that ends the string whose content starts at $p; -1 when the chunk ends first.
  (func $str (param $p i32) (param $len i32) (result i32)
    (local $m i32) (local $c i32)
    (block $found
      (loop $fast
        (br_if $found (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $len)))
        (local.set $m
          (i8x16.bitmask
            (v128.or
              (i8x16.eq (v128.load (local.get $p)) (i8x16.splat (i32.const 0x22)))
              (i8x16.eq (v128.load (local.get $p)) (i8x16.splat (i32.const 0x5c))))))
        (if (i32.eqz (local.get $m))
          (then (local.set $p (i32.add (local.get $p) (i32.const 16))) (br $fast)))
        (local.set $p (i32.add (local.get $p) (i32.ctz (local.get $m))))))
    (loop $slow
      (if (i32.ge_u (local.get $p) (local.get $len)) (then (return (i32.const -1))))
      (local.set $c (i32.load8_u (local.get $p)))
      (if (i32.eq (local.get $c) (i32.const 0x22)) (then (return (local.get $p))))
      (if (i32.eq (local.get $c) (i32.const 0x5c))
        (then (global.set $bs (i32.const 1)) (local.set $p (i32.add (local.get $p) (i32.const 2))))
        (else (local.set $p (i32.add (local.get $p) (i32.const 1)))))
      (br $slow))
    (i32.const -1))

  ;; Index of the first byte at or after $p that is not JSON whitespace ($len when none is left).
  (func $ws (param $p i32) (param $len i32) (result i32)
    (local $c i32)
    (block $end
      (loop $next
        (br_if $end (i32.ge_u (local.get $p) (local.get $len)))
        (local.set $c (i32.load8_u (local.get $p)))
        (br_if $end
          (i32.eqz
            (i32.or
              (i32.or (i32.eq (local.get $c) (i32.const 0x20)) (i32.eq (local.get $c) (i32.const 0x0a)))
              (i32.or (i32.eq (local.get $c) (i32.const 0x0d)) (i32.eq (local.get $c) (i32.const 0x09))))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next)))
    (local.get $p))

  (func (export "scan") (param $pos i32) (param $len i32) (result i32)
    (local $done i32) ;; just past the last whole record
    (local $p i32)
    (local $nesting i32)
    (local $expectKey i32) ;; the record's next string at its own level is one of its keys
    (local $keyIsES i32) ;; the last such key was eventSource
    (local $es i32) (local $esFrom i32) (local $esTo i32)
    (local $end i32) (local $c i32) (local $q i32) (local $at i32) (local $row i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local $quote i64) (local $slash i64) (local $open i64) (local $close i64) (local $comma i64)
    (local $inside i64) (local $carry i64) (local $events i64) (local $block i32)
    (local $slowTo i32) ;; byte by byte up to here (past a backslash)
    (global.set $count (i32.const 0))
    (local.set $done (local.get $pos))
    (block $exit
      (loop $record
        ;; A record starts at $pos.
        (local.set $p (i32.add (local.get $pos) (i32.const 1)))
        (local.set $nesting (i32.const 0))
        (local.set $expectKey (i32.const 1))
        (local.set $keyIsES (i32.const 0))
        (local.set $es (i32.const 0))
        (local.set $carry (i64.const 0))
        (local.set $slowTo (i32.const 0))
        (block $ended ;; leaves with $end just past the record's '}'
          (loop $walk
            ;; $c: the byte to act on at $at, found by the block step or the byte step; 0 = go on walking.
            (local.set $c (i32.const 0))
            (if (i32.and (i32.le_u (i32.add (local.get $p) (i32.const 64)) (local.get $len))
                         (i32.ge_u (local.get $p) (local.get $slowTo)))
              (then
                (local.set $v0 (v128.load (local.get $p)))
                (local.set $v1 (v128.load offset=16 (local.get $p)))
                (local.set $v2 (v128.load offset=32 (local.get $p)))
                (local.set $v3 (v128.load offset=48 (local.get $p)))
                (local.set $slash
                  (i64.or
                    (i64.or
                      (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v0) (i8x16.splat (i32.const 0x5c)))))
                      (i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v1) (i8x16.splat (i32.const 0x5c))))) (i64.const 16)))
                    (i64.or
                      (i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v2) (i8x16.splat (i32.const 0x5c))))) (i64.const 32))
                      (i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v3) (i8x16.splat (i32.const 0x5c))))) (i64.const 48)))))
                (if (i64.eqz (local.get $slash))
                  (then
                    (local.set $quote
                      (i64.or
                        (i64.or
                          (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v0) (i8x16.splat (i32.const 0x22)))))
                          (i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v1) (i8x16.splat (i32.const 0x22))))) (i64.const 16)))
                        (i64.or
                          (i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v2) (i8x16.splat (i32.const 0x22))))) (i64.const 32))
                          (i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v3) (i8x16.splat (i32.const 0x22))))) (i64.const 48)))))
                    (local.set $comma
                      (i64.or
                        (i64.or
                          (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v0) (i8x16.splat (i32.const 0x2c)))))
                          (i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v1) (i8x16.splat (i32.const 0x2c))))) (i64.const 16)))
                        (i64.or
                          (i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v2) (i8x16.splat (i32.const 0x2c))))) (i64.const 32))
                          (i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v3) (i8x16.splat (i32.const 0x2c))))) (i64.const 48)))))
                    ;; '{' and '[' (and '}' and ']') differ only in the 0x20 bit.
                    (local.set $v0 (v128.or (local.get $v0) (i8x16.splat (i32.const 0x20))))
                    (local.set $v1 (v128.or (local.get $v1) (i8x16.splat (i32.const 0x20))))
                    (local.set $v2 (v128.or (local.get $v2) (i8x16.splat (i32.const 0x20))))
                    (local.set $v3 (v128.or (local.get $v3) (i8x16.splat (i32.const 0x20))))
                    (local.set $open
                      (i64.or
                        (i64.or
                          (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v0) (i8x16.splat (i32.const 0x7b)))))
                          (i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v1) (i8x16.splat (i32.const 0x7b))))) (i64.const 16)))
                        (i64.or
                          (i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v2) (i8x16.splat (i32.const 0x7b))))) (i64.const 32))
                          (i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v3) (i8x16.splat (i32.const 0x7b))))) (i64.const 48)))))
                    (local.set $close
                      (i64.or
                        (i64.or
                          (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v0) (i8x16.splat (i32.const 0x7d)))))
                          (i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v1) (i8x16.splat (i32.const 0x7d))))) (i64.const 16)))
                        (i64.or
                          (i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v2) (i8x16.splat (i32.const 0x7d))))) (i64.const 32))
                          (i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v3) (i8x16.splat (i32.const 0x7d))))) (i64.const 48)))))
                    ;; Inside strings: the prefix xor of the quotes (an opening quote is inside, a closing one not).
                    (local.set $inside (local.get $quote))
                    (local.set $inside (i64.xor (local.get $inside) (i64.shl (local.get $inside) (i64.const 1))))
                    (local.set $inside (i64.xor (local.get $inside) (i64.shl (local.get $inside) (i64.const 2))))
                    (local.set $inside (i64.xor (local.get $inside) (i64.shl (local.get $inside) (i64.const 4))))
                    (local.set $inside (i64.xor (local.get $inside) (i64.shl (local.get $inside) (i64.const 8))))
                    (local.set $inside (i64.xor (local.get $inside) (i64.shl (local.get $inside) (i64.const 16))))
                    (local.set $inside (i64.xor (local.get $inside) (i64.shl (local.get $inside) (i64.const 32))))
                    (local.set $inside (i64.xor (local.get $inside) (local.get $carry)))
                    (local.set $events
                      (i64.or
                        (i64.and
                          (i64.or (i64.or (local.get $open) (local.get $close)) (local.get $comma))
                          (i64.xor (local.get $inside) (i64.const -1)))
                        (i64.and (local.get $quote) (local.get $inside))))
                    (local.set $block (local.get $p))
                    (block $blockDone
                      (loop $event
                        (br_if $blockDone (i64.eqz (local.get $events)))
                        (local.set $at
                          (i32.add (local.get $block) (i32.wrap_i64 (i64.ctz (local.get $events)))))
                        (local.set $events
                          (i64.and (local.get $events) (i64.sub (local.get $events) (i64.const 1))))
                        (local.set $c (i32.load8_u (local.get $at)))
                        (if (i32.eq (local.get $c) (i32.const 0x22))
                          (then
                            ;; Strings below the record's own level are skipped by the masks.
                            (if (i32.or (local.get $nesting)
                                        (i32.eqz (i32.or (local.get $expectKey) (local.get $keyIsES))))
                              (then (local.set $c (i32.const 0)) (br $event)))
                            (br $blockDone)))
                        (if (i32.eq (local.get $c) (i32.const 0x2c))
                          (then
                            (if (i32.eqz (local.get $nesting))
                              (then
                                (if (local.get $keyIsES)
                                  (then (local.set $es (i32.const 1)) (local.set $keyIsES (i32.const 0))))
                                (local.set $expectKey (i32.const 1))))
                            (local.set $c (i32.const 0))
                            (br $event)))
                        (if (i32.eq (i32.or (local.get $c) (i32.const 0x20)) (i32.const 0x7b))
                          (then
                            (if (i32.and (i32.eqz (local.get $nesting)) (local.get $keyIsES))
                              (then (local.set $es (i32.const 1)) (local.set $keyIsES (i32.const 0))))
                            (local.set $nesting (i32.add (local.get $nesting) (i32.const 1)))
                            (local.set $c (i32.const 0))
                            (br $event)))
                        ;; A closing bracket.
                        (if (local.get $nesting)
                          (then
                            (local.set $nesting (i32.sub (local.get $nesting) (i32.const 1)))
                            (local.set $c (i32.const 0))
                            (br $event)))
                        (br $blockDone)))
                    (if (i32.eqz (local.get $c))
                      (then
                        (local.set $p (i32.add (local.get $p) (i32.const 64)))
                        (local.set $carry (i64.shr_s (local.get $inside) (i64.const 63)))
                        (br $walk))))
                  (else
                    ;; Backslashes in this block: byte by byte until past the first one.
                    (local.set $slowTo
                      (i32.add (local.get $p) (i32.add (i32.wrap_i64 (i64.ctz (local.get $slash))) (i32.const 1))))))))
            (if (i32.eqz (local.get $c))
              (then
                ;; The byte step: the chunk's last bytes, and blocks with backslashes. First the end of a string
                ;; the last block ended in.
                (if (i64.ne (local.get $carry) (i64.const 0))
                  (then
                    (local.set $q (call $str (local.get $p) (local.get $len)))
                    (br_if $exit (i32.lt_s (local.get $q) (i32.const 0)))
                    (local.set $p (i32.add (local.get $q) (i32.const 1)))
                    (local.set $carry (i64.const 0))
                    (br $walk)))
                (br_if $exit (i32.ge_u (local.get $p) (local.get $len)))
                (local.set $at (local.get $p))
                (local.set $c (i32.load8_u (local.get $p)))
                (if (i32.eq (local.get $c) (i32.const 0x22))
                  (then
                    (if (i32.or (local.get $nesting)
                                (i32.eqz (i32.or (local.get $expectKey) (local.get $keyIsES))))
                      (then
                        (local.set $q (call $str (i32.add (local.get $p) (i32.const 1)) (local.get $len)))
                        (br_if $exit (i32.lt_s (local.get $q) (i32.const 0)))
                        (local.set $p (i32.add (local.get $q) (i32.const 1)))
                        (br $walk))))
                  (else
                    (if (i32.eq (local.get $c) (i32.const 0x2c))
                      (then
                        (if (i32.eqz (local.get $nesting))
                          (then
                            (if (local.get $keyIsES)
                              (then (local.set $es (i32.const 1)) (local.set $keyIsES (i32.const 0))))
                            (local.set $expectKey (i32.const 1))))
                        (local.set $p (i32.add (local.get $p) (i32.const 1)))
                        (br $walk)))
                    (if (i32.eq (i32.or (local.get $c) (i32.const 0x20)) (i32.const 0x7b))
                      (then
                        (if (i32.and (i32.eqz (local.get $nesting)) (local.get $keyIsES))
                          (then (local.set $es (i32.const 1)) (local.set $keyIsES (i32.const 0))))
                        (local.set $nesting (i32.add (local.get $nesting) (i32.const 1)))
                        (local.set $p (i32.add (local.get $p) (i32.const 1)))
                        (br $walk)))
                    (if (i32.ne (i32.or (local.get $c) (i32.const 0x20)) (i32.const 0x7d))
                      (then (local.set $p (i32.add (local.get $p) (i32.const 1))) (br $walk)))
                    (if (local.get $nesting)
                      (then
                        (local.set $nesting (i32.sub (local.get $nesting) (i32.const 1)))
                        (local.set $p (i32.add (local.get $p) (i32.const 1)))
                        (br $walk)))))))
            ;; Here $c at $at is either a string at the record's own level or the record's closing bracket.
            (if (i32.eq (local.get $c) (i32.const 0x22))
              (then
                (global.set $bs (i32.const 0))
                (local.set $q (call $str (i32.add (local.get $at) (i32.const 1)) (local.get $len)))
                (br_if $exit (i32.lt_s (local.get $q) (i32.const 0)))
                (if (local.get $expectKey)
                  (then
                    (local.set $expectKey (i32.const 0))
                    ;; An escaped spelling of a key is for the JavaScript scanner.
                    (br_if $exit (global.get $bs))
                    ;; "eventSource": 11 bytes, compared as "eventSou" and "urce".
                    (local.set $keyIsES
                      (i32.and
                        (i32.eq (i32.sub (local.get $q) (local.get $at)) (i32.const 12))
                        (i32.and
                          (i64.eq (i64.load offset=1 (local.get $at)) (i64.const 0x756f53746e657665))
                          (i32.eq (i32.load offset=8 (local.get $at)) (i32.const 0x65637275))))))
                  (else
                    (local.set $keyIsES (i32.const 0))
                    (local.set $es (i32.const 2))
                    (local.set $esFrom (i32.add (local.get $at) (i32.const 1)))
                    (local.set $esTo (local.get $q))))
                (local.set $p (i32.add (local.get $q) (i32.const 1)))
                (local.set $carry (i64.const 0))
                (br $walk)))
            ;; The record's own closing bracket: a ']' is an error the JavaScript scanner reports.
            (br_if $exit (i32.ne (local.get $c) (i32.const 0x7d)))
            (if (local.get $keyIsES) (then (local.set $es (i32.const 1))))
            (local.set $end (i32.add (local.get $at) (i32.const 1)))))
        ;; One whole record from $pos to $end.
        (local.set $row (i32.add (global.get $out) (i32.mul (global.get $count) (i32.const 20))))
        (i32.store (local.get $row) (local.get $pos))
        (i32.store offset=4 (local.get $row) (local.get $end))
        (i32.store offset=8 (local.get $row) (local.get $es))
        (i32.store offset=12 (local.get $row) (local.get $esFrom))
        (i32.store offset=16 (local.get $row) (local.get $esTo))
        (global.set $count (i32.add (global.get $count) (i32.const 1)))
        (local.set $done (local.get $end))
        (br_if $exit (i32.ge_u (global.get $count) (global.get $max)))
        ;; The next record: ',' and '{', whitespace around.
        (local.set $p (call $ws (local.get $end) (local.get $len)))
        (br_if $exit (i32.ge_u (local.get $p) (local.get $len)))
        (br_if $exit (i32.ne (i32.load8_u (local.get $p)) (i32.const 0x2c)))
        (local.set $p (call $ws (i32.add (local.get $p) (i32.const 1)) (local.get $len)))
        (br_if $exit (i32.ge_u (local.get $p) (local.get $len)))
        (br_if $exit (i32.ne (i32.load8_u (local.get $p)) (i32.const 0x7b)))
        (local.set $pos (local.get $p))
        (br $record)))
    (local.get $done))
)
