/*
 * rng.c: deterministic random numbers (xoshiro256** seeded through
 * splitmix64) and a monotonic clock.  A generator is a value the caller
 * owns, so two users never disturb each other's sequences.
 */
#include <time.h>

#include "rt.h"

/* splitmix64 spreads one seed over the four words of xoshiro's state; it
   is what the xoshiro authors recommend, and it never yields the all-zero
   state that would make xoshiro stick at 0. */
static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* Seed r so that the same seed always gives the same sequence. */
void tcR_rng_seed(tcR_rng *r, uint64_t seed) {
  uint64_t x = seed;
  for (int i = 0; i < 4; i++)
    r->s[i] = splitmix64(&x);
}

/* The next 64 random bits (xoshiro256**). */
uint64_t tcR_rng_next(tcR_rng *r) {
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

/* A double uniform in [0, 1): the top 53 bits scaled, so every value is a
   multiple of 2^-53 and 1.0 is never returned. */
double tcR_rng_uniform(tcR_rng *r) {
  return (double)(tcR_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Seconds since an arbitrary fixed point, from CLOCK_MONOTONIC: for
   measuring intervals, unaffected by changes of the wall clock. */
double tcR_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
