// A reusable barrier for the trainer's persistent worker threads (ck_barrier_* in ckernels.h):
// a generation counter with C11 atomics; a waiter spins briefly (pause), then sleeps on a futex
// (Linux) or yields (elsewhere), so a core taken by another process does not make it crawl.

#include "ckernels.h"

#include <limits.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

struct ck_barrier {
    _Atomic unsigned int count;      // arrivals in the current generation
    _Atomic unsigned int generation; // futex word: bumped by the last arrival
    _Atomic unsigned int sleepers;   // waiters that gave up spinning
    unsigned int parties;
    long spins;
};

ck_barrier *ck_barrier_create(int parties, long spins) {
    if (parties < 1) return NULL;
    ck_barrier *b = calloc(1, sizeof(ck_barrier));
    if (b == NULL) return NULL;
    atomic_init(&b->count, 0);
    atomic_init(&b->generation, 0);
    atomic_init(&b->sleepers, 0);
    b->parties = (unsigned int)parties;
    b->spins = spins < 0 ? 0 : spins;
    return b;
}

void ck_barrier_destroy(ck_barrier *b) { free(b); }

static inline void ck_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static void ck_sleep_while(ck_barrier *b, unsigned int g) {
#if defined(__linux__)
    syscall(SYS_futex, (unsigned int *)&b->generation, FUTEX_WAIT_PRIVATE, g, NULL, NULL, 0);
#else
    (void)b; (void)g;
    sched_yield();
#endif
}

static void ck_wake_all(ck_barrier *b) {
#if defined(__linux__)
    syscall(SYS_futex, (unsigned int *)&b->generation, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
#else
    (void)b;
#endif
}

int ck_barrier_wait(ck_barrier *b) {
    const unsigned int g = atomic_load_explicit(&b->generation, memory_order_acquire);
    if (atomic_fetch_add_explicit(&b->count, 1, memory_order_acq_rel) == b->parties - 1) {
        // Last arrival: reset the count before opening the next generation (no one can
        // arrive at the next one before seeing the new generation).
        atomic_store_explicit(&b->count, 0, memory_order_relaxed);
        atomic_fetch_add_explicit(&b->generation, 1, memory_order_seq_cst);
        if (atomic_load_explicit(&b->sleepers, memory_order_seq_cst) != 0) ck_wake_all(b);
        return 1;
    }
    for (long i = 0; i < b->spins; i++) {
        if (atomic_load_explicit(&b->generation, memory_order_acquire) != g) return 0;
        ck_cpu_relax();
    }
    // Sleeper count and generation are both seq_cst: either the last arrival sees this sleeper
    // and wakes it, or this thread sees the new generation and does not sleep. FUTEX_WAIT itself
    // returns at once when the word no longer equals g.
    atomic_fetch_add_explicit(&b->sleepers, 1, memory_order_seq_cst);
    while (atomic_load_explicit(&b->generation, memory_order_seq_cst) == g) ck_sleep_while(b, g);
    atomic_fetch_sub_explicit(&b->sleepers, 1, memory_order_seq_cst);
    return 0;
}
