/* work_queue: see work_queue.h. A mutex-protected FIFO and a condition
 * variable; jobs run outside the lock. */
#include "plugin/work_queue.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

struct tg_work_queue {
	pthread_mutex_t lock;
	pthread_cond_t ready;
	tg_work *head, *tail;
	size_t pending, max_pending;
	bool stopping;
	unsigned n_threads;
	pthread_t *threads;
};

static tg_work *take(tg_work_queue *q)
{
	pthread_mutex_lock(&q->lock);
	while (q->head == NULL && !q->stopping)
		pthread_cond_wait(&q->ready, &q->lock);
	tg_work *w = q->head; /* NULL only when stopping with nothing left */
	if (w != NULL) {
		q->head = w->next;
		if (q->head == NULL)
			q->tail = NULL;
		q->pending--;
	}
	pthread_mutex_unlock(&q->lock);
	return w;
}

static void *run_jobs(void *arg)
{
	tg_work_queue *q = arg;
	tg_work *w;
	while ((w = take(q)) != NULL)
		w->fn(w);
	return NULL;
}

static void join_threads(tg_work_queue *q, unsigned started)
{
	pthread_mutex_lock(&q->lock);
	q->stopping = true;
	pthread_cond_broadcast(&q->ready);
	pthread_mutex_unlock(&q->lock);
	for (unsigned i = 0; i < started; i++)
		pthread_join(q->threads[i], NULL);
}

static void join_and_free(tg_work_queue *q, unsigned started)
{
	join_threads(q, started);
	pthread_cond_destroy(&q->ready);
	pthread_mutex_destroy(&q->lock);
	free(q->threads);
	free(q);
}

int tg_work_queue_start(unsigned threads, size_t max_pending, tg_work_queue **out,
                        tg_error *err)
{
	if (threads < 1 || threads > 1024 || max_pending < 1)
		return tg_error_set(err, TG_EINVAL, "work queue needs 1..1024 threads and room for a job");
	tg_work_queue *q = calloc(1, sizeof(*q));
	pthread_t *ids = calloc(threads, sizeof(*ids));
	if (q == NULL || ids == NULL) {
		free(q);
		free(ids);
		return tg_error_set(err, TG_ENOMEM, "out of memory");
	}
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->ready, NULL);
	q->max_pending = max_pending;
	q->threads = ids;
	for (unsigned i = 0; i < threads; i++) {
		if (pthread_create(&q->threads[i], NULL, run_jobs, q) != 0) {
			join_and_free(q, i);
			return tg_error_set(err, TG_EIO, "cannot start lookup thread %u of %u", i + 1,
			                    threads);
		}
	}
	q->n_threads = threads;
	*out = q;
	return TG_OK;
}

int tg_work_queue_submit(tg_work_queue *q, tg_work *work)
{
	int rc = TG_OK;
	pthread_mutex_lock(&q->lock);
	if (q->stopping || q->pending >= q->max_pending) {
		rc = TG_ETOOBIG;
	} else {
		work->next = NULL;
		if (q->tail != NULL)
			q->tail->next = work;
		else
			q->head = work;
		q->tail = work;
		q->pending++;
		pthread_cond_signal(&q->ready);
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

void tg_work_queue_drain(tg_work_queue *q)
{
	join_threads(q, q->n_threads);
	q->n_threads = 0; /* joined: a second drain or the free joins none */
}

void tg_work_queue_free(tg_work_queue *q)
{
	if (q != NULL)
		join_and_free(q, q->n_threads);
}
