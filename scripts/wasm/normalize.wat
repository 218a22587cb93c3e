;; HWC uint8 RGB -> three f32 planes, (x - sub) / div per channel, 4 pixels per step.
;; Source of core/normalize/wasm-bytes.ts (regenerate with `node scripts/build-normalize-wasm.mjs`).
;; Each step loads 16 bytes at in + 12*i (4 RGB pixels + 4 spare bytes, so the caller keeps
;; 4 bytes of slack after the input), zero-extends each channel's 4 bytes into i32 lanes with
;; one constant swizzle (indices >= 16 give 0), converts to f32 and stores 16 bytes per plane.
;; sub/div rather than mul/add: x / 255 is then correctly rounded, as numpy and torch compute it.
(module
  (memory (export "memory") 2)
  (func (export "normalize")
    (param $in i32) (param $groups i32) (param $o0 i32) (param $o1 i32) (param $o2 i32)
    (param $s0 f32) (param $d0 f32) (param $s1 f32) (param $d1 f32) (param $s2 f32) (param $d2 f32)
    (local $v v128)
    (local $vs0 v128) (local $vd0 v128) (local $vs1 v128) (local $vd1 v128) (local $vs2 v128) (local $vd2 v128)
    (local $end i32)
    (local.set $vs0 (f32x4.splat (local.get $s0)))
    (local.set $vd0 (f32x4.splat (local.get $d0)))
    (local.set $vs1 (f32x4.splat (local.get $s1)))
    (local.set $vd1 (f32x4.splat (local.get $d1)))
    (local.set $vs2 (f32x4.splat (local.get $s2)))
    (local.set $vd2 (f32x4.splat (local.get $d2)))
    (local.set $end (i32.add (local.get $in) (i32.mul (local.get $groups) (i32.const 12))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $in) (local.get $end)))
        (local.set $v (v128.load (local.get $in)))
        (v128.store (local.get $o0)
          (f32x4.div
            (f32x4.sub
              (f32x4.convert_i32x4_s
                (i8x16.swizzle (local.get $v) (v128.const i8x16 0 128 128 128 3 128 128 128 6 128 128 128 9 128 128 128)))
              (local.get $vs0))
            (local.get $vd0)))
        (v128.store (local.get $o1)
          (f32x4.div
            (f32x4.sub
              (f32x4.convert_i32x4_s
                (i8x16.swizzle (local.get $v) (v128.const i8x16 1 128 128 128 4 128 128 128 7 128 128 128 10 128 128 128)))
              (local.get $vs1))
            (local.get $vd1)))
        (v128.store (local.get $o2)
          (f32x4.div
            (f32x4.sub
              (f32x4.convert_i32x4_s
                (i8x16.swizzle (local.get $v) (v128.const i8x16 2 128 128 128 5 128 128 128 8 128 128 128 11 128 128 128)))
              (local.get $vs2))
            (local.get $vd2)))
        (local.set $in (i32.add (local.get $in) (i32.const 12)))
        (local.set $o0 (i32.add (local.get $o0) (i32.const 16)))
        (local.set $o1 (i32.add (local.get $o1) (i32.const 16)))
        (local.set $o2 (i32.add (local.get $o2) (i32.const 16)))
        (br $next)))))
