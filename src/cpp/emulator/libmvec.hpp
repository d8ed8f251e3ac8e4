// Vector exp and log in loops, for the translation units compiled with
// -fno-math-errno (CMakeLists.txt: assembly.cpp, vector_math.cpp); include it in
// no other.
//
// glibc's libmvec has vector exp and log (AVX-512, AVX2, SSE2 variants, <= 4
// ulp); GCC calls them from a loop once the functions are declared SIMD-capable,
// which glibc's own headers do only under -ffast-math (whose finite-math
// assumption this code cannot take: ln 0 = -inf marks the isotopes at the target
// Ye). Loops in functions marked NNN_VECTOR_CLONES are compiled once per
// instruction set and the best is picked at load (ifunc). Measured on a 2-core
// Xeon (AMX): 1.4 ns per exp-and-sum element against 5.3 scalar. Elsewhere
// (Clang, other libcs, other CPUs) these are plain loops.
#pragma once

#include <cmath>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__)
extern "C" __attribute__((__simd__("notinbranch"))) double exp(double) noexcept;
extern "C" __attribute__((__simd__("notinbranch"))) double log(double) noexcept;
#define NNN_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define NNN_VECTOR_CLONES
#endif
