/* work_queue: a fixed set of threads that run queued jobs in order.
 *
 * The HTTP threads must never wait on the network (trustgate's own calls
 * to dockerd come back to it as requests those threads must answer), so
 * every decision that needs a live lookup is handed to this queue. Jobs
 * are intrusive (the caller embeds a tg_work in its own state), so
 * submitting allocates nothing. The queue is bounded: when it is full the
 * caller is told at once and answers without a lookup.
 *
 * Thread-safe.
 */
#ifndef TG_WORK_QUEUE_H
#define TG_WORK_QUEUE_H

#include <stddef.h>

#include "common/tg_error.h"

typedef struct tg_work tg_work;
typedef void (*tg_work_fn)(tg_work *work);

/* Embedded in the caller's state; fn receives it back (container_of). */
struct tg_work {
	tg_work *next; /* the queue's link: not for callers */
	tg_work_fn fn;
};

typedef struct tg_work_queue tg_work_queue;

/* Start threads (1 .. 1024) that run jobs, at most max_pending (>= 1)
 * waiting at a time. *out is freed with tg_work_queue_free. Errors:
 * TG_EINVAL (bad sizes), TG_ENOMEM, TG_EIO (a thread could not start). */
int tg_work_queue_start(unsigned threads, size_t max_pending, tg_work_queue **out,
                        tg_error *err);

/* Queue work; a thread will call work->fn(work). Returns TG_OK, or
 * TG_ETOOBIG when max_pending jobs are already waiting or the queue is
 * stopping (work is then not queued and fn is never called). */
int tg_work_queue_submit(tg_work_queue *q, tg_work *work);

/* Refuse new work from now on, run every job already queued, and join the
 * threads. Call once, from a thread that is not one of the queue's. */
void tg_work_queue_drain(tg_work_queue *q);

/* Drain (unless drained) and free. Accepts NULL. */
void tg_work_queue_free(tg_work_queue *q);

#endif
