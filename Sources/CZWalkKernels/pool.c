// The engine's thread pool: worker threads that spin for a while after a job before they sleep.
//
// Why not GCD: on this kind of VM a sleeping thread takes ~50 µs to wake (measured: 2-way
// DispatchQueue.concurrentPerform calls 200 µs apart cost 51 µs each, back to back 0.35 µs), and a
// batch-1 decoder makes a parallel call every few tens of µs — the wake-ups cost more than the
// halves saved. onnxruntime's and OpenBLAS's pools spin for the same reason. The spin is bounded
// (ZK_POOL_SPIN_NS) so an idle explorer does not hold a core.
//
// One job runs at a time: a caller that finds the pool busy (another thread's job) gets 0 back
// and runs its loop itself. Inside a job (a worker, or the caller helping) zk_pool_inside() is 1,
// so a nested parallel loop runs inline instead of waiting on itself.
#include "zwalk_kernels.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define ZK_PAUSE() _mm_pause()
#else
#define ZK_PAUSE() ((void)0)
#endif

#define ZK_POOL_MAX 16
#define ZK_POOL_SPIN_NS 2000000LL   // 2 ms

typedef struct {
    zk_pool_fn fn;
    void *ctx;
    ptrdiff_t count;
    _Atomic ptrdiff_t next;
    _Atomic ptrdiff_t done;
} zk_job;

typedef struct {
    pthread_t thread;
    _Atomic int busy;   // set while the worker may be looking at `current`
} zk_worker;

static pthread_mutex_t submit_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t sleep_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake_cond = PTHREAD_COND_INITIALIZER;
static zk_worker workers[ZK_POOL_MAX];
static int started;                       // guarded by submit_lock
static _Atomic unsigned long generation;  // bumped once per job
static _Atomic(zk_job *) current;         // the job being run, or NULL
static _Atomic int sleepers;
static _Thread_local int inside;

int zk_pool_inside(void) { return inside; }

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void run_chunks(zk_job *j) {
    inside = 1;
    ptrdiff_t i;
    while ((i = atomic_fetch_add(&j->next, 1)) < j->count) {
        j->fn(j->ctx, i);
        atomic_fetch_add(&j->done, 1);
    }
    inside = 0;
}

static void *worker_main(void *arg) {
    zk_worker *me = arg;
    unsigned long seen = atomic_load(&generation);
    for (;;) {
        unsigned long g = atomic_load(&generation);
        if (g == seen) {
            const long long until = now_ns() + ZK_POOL_SPIN_NS;
            for (int k = 0; (g = atomic_load(&generation)) == seen; k++) {
                ZK_PAUSE();
                if ((k & 255) == 255 && now_ns() > until) break;
            }
        }
        if (g == seen) {
            pthread_mutex_lock(&sleep_lock);
            atomic_fetch_add(&sleepers, 1);
            while ((g = atomic_load(&generation)) == seen) pthread_cond_wait(&wake_cond, &sleep_lock);
            atomic_fetch_sub(&sleepers, 1);
            pthread_mutex_unlock(&sleep_lock);
        }
        seen = g;
        // Announce before reading `current`: the submitter clears it, then waits for every busy
        // flag to drop, so a job is never read after its caller has returned.
        atomic_store(&me->busy, 1);
        zk_job *j = atomic_load(&current);
        if (j) run_chunks(j);
        atomic_store(&me->busy, 0);
    }
    return NULL;
}

int zk_pool_run(int threads, ptrdiff_t count, zk_pool_fn fn, void *ctx) {
    if (inside || count <= 0) return 0;
    if (pthread_mutex_trylock(&submit_lock) != 0) return 0;
    int want = threads - 1;
    if (want > ZK_POOL_MAX) want = ZK_POOL_MAX;
    while (started < want) {
        zk_worker *w = &workers[started];
        atomic_store(&w->busy, 0);
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) break;
        pthread_detach(w->thread);
        started++;
    }
    if (started == 0) { pthread_mutex_unlock(&submit_lock); return 0; }
    zk_job job = {.fn = fn, .ctx = ctx, .count = count};
    atomic_store(&job.next, 0);
    atomic_store(&job.done, 0);
    atomic_store(&current, &job);
    atomic_fetch_add(&generation, 1);
    if (atomic_load(&sleepers) > 0) {
        pthread_mutex_lock(&sleep_lock);
        pthread_cond_broadcast(&wake_cond);
        pthread_mutex_unlock(&sleep_lock);
    }
    run_chunks(&job);
    while (atomic_load(&job.done) < count) ZK_PAUSE();
    atomic_store(&current, NULL);
    for (int i = 0; i < started; i++) while (atomic_load(&workers[i].busy)) ZK_PAUSE();
    pthread_mutex_unlock(&submit_lock);
    return 1;
}
