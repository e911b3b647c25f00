// The task team of the trainer's persistent threads (ck_team_* in ckernels.h): C11 atomics; a
// waiter spins briefly (pause), then sleeps on a futex (Linux) or yields (elsewhere), so a core
// taken by another process does not make it crawl.

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

static inline void ck_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* ------------------------------------------------------------------ task team (ck_team_*) */

// The claim word packs the current task's number (high 32 bits), its item count (bits 16–31)
// and the next unclaimed item (bits 0–15), so one compare-and-swap checks all three: a thread
// holding a stale task number can never claim an item of a newer task.
struct ck_team {
    _Atomic unsigned long long claim;
    _Atomic unsigned int generation;  // futex word of idle workers: bumped by every publish
    _Atomic unsigned int done;        // items of the current task finished (futex word of the publisher)
    _Atomic unsigned int sleepers;    // idle workers asleep on `generation`
    _Atomic unsigned int waiting;     // 1 while the publisher sleeps on `done`
    _Atomic unsigned int exiting;
    unsigned int items;               // the publisher's copy of the current task's item count
    long spins;
};

ck_team *ck_team_create(long spins) {
    ck_team *t = calloc(1, sizeof(ck_team));
    if (t == NULL) return NULL;
    atomic_init(&t->claim, 0);
    atomic_init(&t->generation, 0);
    atomic_init(&t->done, 0);
    atomic_init(&t->sleepers, 0);
    atomic_init(&t->waiting, 0);
    atomic_init(&t->exiting, 0);
    t->items = 0;
    t->spins = spins < 0 ? 0 : spins;
    return t;
}

void ck_team_destroy(ck_team *t) { free(t); }

static void ck_futex_wait(_Atomic unsigned int *word, unsigned int expected) {
#if defined(__linux__)
    syscall(SYS_futex, (unsigned int *)word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
#else
    (void)word; (void)expected;
    sched_yield();
#endif
}

static void ck_futex_wake(_Atomic unsigned int *word) {
#if defined(__linux__)
    syscall(SYS_futex, (unsigned int *)word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
#else
    (void)word;
#endif
}

unsigned long long ck_team_publish(ck_team *t, unsigned int items) {
    // The previous task is finished (ck_team_wait_done returned): no item of it is in flight
    // and none can be claimed any more, so `done` may be reset.
    if (items > 0xffffu) items = 0xffffu;
    const unsigned long long task = (atomic_load_explicit(&t->claim, memory_order_relaxed) >> 32) + 1;
    t->items = items;
    atomic_store_explicit(&t->done, 0, memory_order_relaxed);
    atomic_store_explicit(&t->claim, (task << 32) | ((unsigned long long)items << 16), memory_order_seq_cst);
    atomic_fetch_add_explicit(&t->generation, 1, memory_order_seq_cst);
    if (atomic_load_explicit(&t->sleepers, memory_order_seq_cst) != 0) ck_futex_wake(&t->generation);
    return task;
}

unsigned long long ck_team_current(ck_team *t) {
    return atomic_load_explicit(&t->claim, memory_order_acquire) >> 32;
}

long ck_team_claim(ck_team *t, unsigned long long task) {
    unsigned long long c = atomic_load_explicit(&t->claim, memory_order_acquire);
    for (;;) {
        if ((c >> 32) != task) return -1;
        const unsigned int items = (unsigned int)((c >> 16) & 0xffffu);
        const unsigned int index = (unsigned int)(c & 0xffffu);
        if (index >= items) return -1;
        if (atomic_compare_exchange_weak_explicit(&t->claim, &c, c + 1, memory_order_acq_rel,
                                                  memory_order_acquire))
            return (long)index;
    }
}

void ck_team_item_done(ck_team *t) {
    atomic_fetch_add_explicit(&t->done, 1, memory_order_seq_cst);
    if (atomic_load_explicit(&t->waiting, memory_order_seq_cst) != 0) ck_futex_wake(&t->done);
}

void ck_team_wait_done(ck_team *t) {
    const unsigned int items = t->items;
    for (long i = 0; i < t->spins; i++) {
        if (atomic_load_explicit(&t->done, memory_order_acquire) >= items) return;
        ck_cpu_relax();
    }
    for (;;) {
        // `waiting` and `done` are both seq_cst: either the finishing thread sees `waiting` and
        // wakes this one, or this one sees its increment and does not sleep.
        atomic_store_explicit(&t->waiting, 1, memory_order_seq_cst);
        const unsigned int d = atomic_load_explicit(&t->done, memory_order_seq_cst);
        if (d >= items) break;
        ck_futex_wait(&t->done, d);
    }
    atomic_store_explicit(&t->waiting, 0, memory_order_relaxed);
}

int ck_team_wait_task(ck_team *t, unsigned int *seen) {
    const unsigned int s = *seen;
    unsigned int g = atomic_load_explicit(&t->generation, memory_order_acquire);
    for (long i = 0; g == s && i < t->spins; i++) {
        ck_cpu_relax();
        g = atomic_load_explicit(&t->generation, memory_order_acquire);
    }
    if (g == s) {
        atomic_fetch_add_explicit(&t->sleepers, 1, memory_order_seq_cst);
        while ((g = atomic_load_explicit(&t->generation, memory_order_seq_cst)) == s) ck_futex_wait(&t->generation, s);
        atomic_fetch_sub_explicit(&t->sleepers, 1, memory_order_seq_cst);
    }
    *seen = g;
    return atomic_load_explicit(&t->exiting, memory_order_acquire) ? 1 : 0;
}

void ck_team_exit(ck_team *t) {
    atomic_store_explicit(&t->exiting, 1, memory_order_seq_cst);
    atomic_fetch_add_explicit(&t->generation, 1, memory_order_seq_cst);
    ck_futex_wake(&t->generation);
}
