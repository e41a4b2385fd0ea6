/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vl_device.h - internals of the device layer (drivers/device/), shared by
 * vl_dev.c (the misc device and the vhost ioctl ABI), vl_vq.c (virtqueues,
 * eventfds, workers), vl_slot.c (command slots, their life and the fabric
 * hooks), vl_data.c (data buffers: pinned or copied), vl_io.c (request
 * queues: virtio-scsi commands on LIO), vl_ctl.c (the control queue),
 * vl_evt.c (the event queue), vl_log.c (dirty logging) and vl_stats.c
 * (per-queue counters in debugfs, tracepoints).  What other layers may
 * use is in ../vhost_lio.h.
 *
 * Threads and locks
 * -----------------
 * ioctl callers serialise on vl_dev.mutex.  Every virtqueue is driven by
 * exactly one worker thread (request queue N by its own worker, the
 * control and event queues by a shared one); the worker alone touches the
 * ring (struct vl_vring) and the queue's slots while the queue runs, and
 * holds vl_vq.mutex for a whole batch.  An ioctl that changes a ring first
 * stops the queue (vl_vq_stop(): the worker is then outside it) and, where
 * the change needs no command in flight, waits killably for LIO to give
 * every one back (vl_vq_quiesce()), so the hot path takes no lock.
 * LIO completes commands from its own contexts: they only push the slot on
 * the queue's lock-free done list and wake the worker (vl_vq_queue_work()).
 *
 * Ownership: who may free what
 * ----------------------------
 * A struct vl_dev, with its queues and their slots (the memory LIO's
 * commands live in), is reference counted by vl_dev.ref: the open file
 * holds one reference and every slot taken from a free list holds one
 * until vl_slot_put() gives it back.  close() never waits for LIO: it
 * stops the queues, detaches the kicks, stops the workers and drops the
 * file's reference; a command LIO completes after that is freed by the
 * queue's reap work without touching guest memory (vl_vq_reap()).  The
 * last reference queues vl_dev.free_work, which unpins the TPGs and frees
 * the device.  See Documentation/design.md, "Who owns a command".
 */
#ifndef VL_DEVICE_H
#define VL_DEVICE_H

#include <linux/atomic.h>
#include <linux/percpu-refcount.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/sched/clock.h>
#include <linux/eventfd.h>
#include <linux/jump_label.h>
#include <linux/llist.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/ratelimit.h>
#include <linux/scatterlist.h>
#include <linux/sched.h>
#include <linux/timer.h>
#include <linux/wait.h>
#include <linux/vhost_types.h>

#include <vlcore/vl_shim.h>
#include <vlcore/vl_vring.h>
#include <vlcore/vl_vscsi.h>

#include "compat/vl_compat.h"
#include "vhost_lio.h"

/* Queue 0 is the control queue, 1 the event queue, 2.. request queues. */
#define VL_VQ_CTL		0
#define VL_VQ_EVT		1
#define VL_VQ_IO		2
#define VL_MAX_IO_VQS		16
#define VL_MAX_VQS		(VL_VQ_IO + VL_MAX_IO_VQS)

/*
 * Buffers one request may carry: the request header, the response and the
 * data.  A guest sizes requests by the seg_max QEMU advertises (126 by
 * default); one that sends more breaks its ring (vl_vring_pop: E2BIG).
 */
#define VL_MAX_SEGS		1024

/*
 * T10 protection information (VIRTIO_SCSI_F_T10_PI): the bytes one command
 * may carry are bounded by the data a slot takes, 8 bytes per 512-byte
 * block of VL_MAX_DATA_SG_NENTS pages (128 KiB with 4 KiB pages), and
 * they are pinned into at most VL_MAX_PROT_SG_NENTS scatterlist entries
 * (a contiguous 128 KiB spans 33 pages; a guest that scatters its
 * protection bytes wider is refused).  Preallocated per request queue
 * slot: about 2.5 KiB.
 */
#define VL_MAX_PROT_BYTES	(VL_MAX_DATA_SG_NENTS * PAGE_SIZE / 64)
#define VL_MAX_PROT_SG_NENTS	64

/* Buffers of a control queue request: header and response, maybe split. */
#define VL_CTL_MAX_SEGS		16

/* Chains a worker takes from one queue before it looks at the others. */
#define VL_BUDGET		64

/*
 * Largest ring a queue takes (QEMU's maximum virtqueue size): each entry
 * of a request queue gets a preallocated slot of about 100 KiB.
 */
#define VL_MAX_RING		1024

/*
 * Pages one device may hold at once for the copy fallback (vl_data.c): 64 MiB
 * with 4 KiB pages.  A command that would go past it is answered TASK SET
 * FULL, which the guest retries.
 */
#define VL_COPY_MAX_PAGES	16384

/*
 * LUN RESETs in flight are counted in this many buckets, by LUN (see
 * vl_reset_bucket()): a command aborted while its bucket counts one is
 * answered VIRTIO_SCSI_S_RESET, else VIRTIO_SCSI_S_ABORTED.  Two LUNs
 * share a bucket only 16 apart (or on other targets), where an ABORT TASK
 * victim racing the other LUN's reset would be answered RESET.  LIO's LUN
 * RESET aborts every command of the backstore, also those that reach it
 * through another LUN: those are answered ABORTED.  Either answer makes a
 * Linux or QEMU guest retry.
 */
#define VL_RESET_BUCKETS	16

/* Guest page size of the dirty log: one bit per 4 KiB (VHOST_PAGE_SIZE). */
#define VL_LOG_PAGE		0x1000ULL

/*
 * Task management functions a device hands LIO: at most VL_TMF_BURST in
 * any VL_TMF_INTERVAL (enough for a guest whose whole queue timed out at
 * once), and how long one beyond the limit waits on its ring.  LIO logs a
 * line or two for each, and a guest must not be able to flood the log.
 */
#define VL_TMF_BURST		50
#define VL_TMF_INTERVAL		(5 * HZ)
#define VL_TMF_RETRY		(HZ / 10)

/*
 * Commands LIO answers ILLEGAL REQUEST: its CDB parser and emulation log
 * most of those ("cmd exceeds last lba", "MODE SENSE: unimplemented
 * page", ...) with an unrate-limited pr_err(), and a guest chooses its
 * CDBs.  Once a device has had VL_REFUSED_BURST of them in a
 * VL_REFUSED_INTERVAL window, its request queues take nothing new until
 * the window ends: the requests wait on the rings, kicks off.  A guest
 * probing what a LUN supports gets a few; scanning many LUNs at once is
 * slowed, never refused.
 */
#define VL_REFUSED_BURST	50
#define VL_REFUSED_INTERVAL	(5 * HZ)

/* Events a device keeps for the guest's event buffers; more are missed. */
#define VL_MAX_EVENTS		64

/**
 * struct vl_event - a virtio-scsi event waiting for an event queue buffer
 * @event: VL_VSCSI_T_*
 * @reason: VL_VSCSI_EVT_RESET_* for a TRANSPORT_RESET
 * @lun: the LUN address the event is about
 */
struct vl_event {
	u32	event;
	u32	reason;
	u8	lun[8];
};

struct vl_worker;

/**
 * struct vl_tmf_set - a task-set TMF the device runs itself (vl_ctl.c):
 * ABORT TASK SET, CLEAR TASK SET or I_T NEXUS RESET, one LIO ABORT TASK
 * per command of its scope
 * @next: where the search for the next victim goes on: request queue
 *	  (@next / VL_MAX_RING) and slot (@next % VL_MAX_RING)
 * @helpers: ABORT TASKs in LIO, plus one while @issuing; the last put
 *	     makes the TMF ready to answer
 * @lun: the LUN of its scope, unless @itn
 * @target: the target of its scope
 * @itn: I_T NEXUS RESET: every LUN of @target; victims answered RESET
 * @issuing: still handing LIO its ABORT TASKs (vl_vq.set_tmf)
 */
struct vl_tmf_set {
	u32		next;
	atomic_t	helpers;
	u16		lun;
	u8		target;
	bool		itn;
	bool		issuing;
};

/**
 * struct vl_vq_stats - counters of one request queue (vl_stats.c), read
 * through debugfs
 * @requests: chains taken from the ring, whatever their answer
 * @bytes: data bytes (data-in and data-out) of the commands handed to LIO
 * @batches: worker passes over the queue that took at least one chain
 * @kicks: kicks received from the guest
 * @signals: guest interrupts: writes to the call eventfd
 * @task_set_full: TASK SET FULL answers, every cause (no slot, the LUN's
 *		   limit, no copy pages, the backstore's TASK SET FULL or BUSY)
 * @slots_exhausted: chains taken while every slot was in use, answered
 *		     TASK SET FULL
 * @copy_fallback: commands whose data went through the copy fallback
 * @poll_hits: polls of the ring, kicks off, that found chains (module
 *	       parameter poll_us; vl_worker_poll())
 * @poll_misses: poll windows that ended with the ring empty (kicks on
 *		 again)
 * @ring_ns: while the cost split is on (debugfs cost_split, benchmarks
 *	     only): worker time taking chains from the ring and parsing them
 * @map_ns: ... pinning (or copying) their data
 * @submit_ns: ... in LIO's submission calls (what runs in the worker)
 * @answer_ns: ... answering completed commands (responses, used entries,
 *	       releasing slots and pages)
 * @signal_ns: ... publishing the used ring and signalling the guest
 *
 * Plain u64s, no atomics: each has one writer at a time.  @kicks is
 * written by vl_kick_wake() under the kick eventfd's wait queue lock;
 * every other one by the queue's worker, with vq->mutex held (LIO's
 * completions are counted when the worker answers them).  Updated with
 * WRITE_ONCE() and read racily with READ_ONCE() (the module is 64-bit
 * only: no torn u64).  Zeroed at VHOST_SET_OWNER.
 */
struct vl_vq_stats {
	u64	requests;
	u64	bytes;
	u64	batches;
	u64	kicks;
	u64	signals;
	u64	task_set_full;
	u64	slots_exhausted;
	u64	copy_fallback;
	u64	poll_hits;
	u64	poll_misses;
	u64	ring_ns;
	u64	map_ns;
	u64	submit_ns;
	u64	answer_ns;
	u64	signal_ns;
};

/**
 * enum vl_slot_state - where a slot is in its life (for readers other than
 * its owner, such as the ABORT TASK lookup; set with smp_store_release())
 * @VL_SLOT_FREE: on the free list
 * @VL_SLOT_POPPED: the worker took a chain into it and is working on it
 * @VL_SLOT_SUBMITTED: LIO has the command
 * @VL_SLOT_DONE: LIO completed it (or aborted it); on the done list
 */
enum vl_slot_state {
	VL_SLOT_FREE,
	VL_SLOT_POPPED,
	VL_SLOT_SUBMITTED,
	VL_SLOT_DONE,
};

/**
 * struct vl_slot - a preallocated command: one guest request in flight
 * @vcmd: what the fabric layer sees; vcmd.se_cmd is handed to LIO
 * @vq: the queue the slot belongs to
 * @chain: the guest's descriptor chain (segments in @segs)
 * @segs: room for the chain's segments
 * @req: the parsed request; for a TMF, its tag, target and LUN (for the
 *	 vl_tmf tracepoint: vl_slot_note_tmf())
 * @tmf_subtype: a TMF's VL_VSCSI_T_TMF_* (vl_tmf tracepoint)
 * @received: @req was parsed from the chain the slot holds now: its
 *	      answer is traced (vl_cmd_complete); cleared at each pop
 * @sgl: scatterlist over the data pages
 * @pages: the data pages, @nr_pages of them: pinned guest pages, or with
 *	   @bounce our own pages the data is copied through
 * @nr_pages: pages held for this command
 * @bounce: the data goes through copies (see vl_data_map())
 * @copy_pages: pages of the device's copy budget this command holds
 * @prot_sgl: scatterlist over the protection information (T10 PI), the
 *	      guest's pages pinned: VL_MAX_PROT_SG_NENTS entries, allocated
 *	      with the slot and freed with it (vl_slots_free(), never while
 *	      LIO may hold the command)
 * @prot_pages: the pinned pages of @prot_sgl, @nr_prot_pages of them;
 *		unpinned by vl_slot_drop_pages(), at the last vl_slot_put()
 *		(after LIO's release_cmd) or when the command never reached
 *		LIO
 * @nr_prot_pages: pages held in @prot_pages
 * @lun_depth: the LUN the command counts on (vl_io_lun_count()), or NULL;
 *	       uncounted by the last vl_slot_put()
 * @data_in: the guest's data is written by the device (pages get dirtied)
 * @tmf: a task management function from the control queue, not a command
 * @aborted: LIO aborted the command without status (aborted_task)
 * @reset: aborted while a LUN RESET of its LUN was under way: answered
 *	   VIRTIO_SCSI_S_RESET rather than VIRTIO_SCSI_S_ABORTED
 * @abort_counted: the command counts in vl_dev.aborts_unanswered
 * @tmr: a TMF's LIO function (TMR_*)
 * @reset_bucket: a LUN RESET's index in vl_dev.resets
 * @tmf_resp: a TMF's virtio-scsi response, copied from LIO's se_tmr_req
 *	      in queue_tm_rsp (that request may be gone by the time the
 *	      worker answers)
 * @tmf_set: a task-set TMF run by the device (@set); no LIO command of
 *	     its own
 * @set: the state of a @tmf_set TMF
 * @set_parent: an ABORT TASK the device sent LIO for this task-set TMF
 *		(a helper: its answer is not the guest's)
 * @state: enum vl_slot_state
 * @refs: see "Who owns a command" in Documentation/design.md: 1 while only
 *	  the worker has the slot; 2 once LIO has it (one for the response
 *	  the worker writes, one for LIO's release_cmd).  The last
 *	  vl_slot_put() unpins the pages, returns the slot to the free list
 *	  and drops the slot's reference on the device.
 * @node: on the queue's free list or done list, never both
 *
 * Owner: the queue's worker between vl_slot_get() and submission, then LIO
 * until it completes the command, then the worker (or, once the device is
 * closed, the queue's reap work) again.
 */
struct vl_slot {
	struct vl_cmd		vcmd;
	struct vl_vq		*vq;
	struct vl_chain		chain;
	struct vl_seg		*segs;
	struct vl_vscsi_req	req;
	u32			tmf_subtype;
	bool			received;
	struct scatterlist	*sgl;
	struct page		**pages;
	unsigned int		nr_pages;
	bool			bounce;
	unsigned int		copy_pages;
	struct scatterlist	*prot_sgl;
	struct page		**prot_pages;
	unsigned int		nr_prot_pages;
	struct vl_lun_depth	*lun_depth;
	bool			data_in;
	bool			tmf;
	bool			aborted;
	bool			reset;
	bool			abort_counted;
	u8			tmr;
	u8			reset_bucket;
	u8			tmf_resp;
	bool			tmf_set;
	struct vl_tmf_set	set;
	struct vl_slot		*set_parent;
	u8			state;
	refcount_t		refs;
	struct llist_node	node;
};

/**
 * struct vl_vq - one virtqueue of a device
 * @dev: the device
 * @index: 0 control, 1 event, 2.. request
 * @worker: the thread that drives this queue, or NULL before the owner set
 *	    it and after close; RCU-protected, as LIO's completion contexts
 *	    and kick wakeups read it while vl_workers_destroy() clears it
 * @mutex: held by the worker while it serves the queue, and by ioctls
 *	   while they change the ring state or swap the call and err
 *	   eventfds; one lock per batch, not per I/O
 * @ring: the core's ring state; touched only by @worker while @running
 * @num: VHOST_SET_VRING_NUM (0: not set)
 * @last_avail: VHOST_SET_VRING_BASE, the next avail index to take
 * @used_idx: where used entries go next (kept across stop/start)
 * @desc_ua: VHOST_SET_VRING_ADDR: descriptor table, VMM user address
 * @avail_ua: available ring, VMM user address
 * @used_ua: used ring, VMM user address
 * @addr_set: the three addresses were set
 * @kick: the kick eventfd's file, or NULL
 * @kick_wqh: the wait queue @kick_wait is on, or NULL
 * @kick_wait: our entry on the kick eventfd's wait queue
 * @kick_pt: poll table used to find @kick_wqh
 * @call: the call eventfd (KVM irqfd), or NULL
 * @err: the err eventfd, or NULL
 * @running: the worker may service the queue (set and cleared with
 *	     dev->mutex held, read by the worker)
 * @live: @ring holds this queue's state (since its last start, until its
 *	  setup changes); its indices are saved into @last_avail and
 *	  @used_idx when the queue stops
 * @broken: the guest broke the ring; the queue stays stopped until it is
 *	    set up again
 * @slots: @nr_slots preallocated commands (request queues)
 * @nr_slots: number of @slots, the ring size when they were made
 * @full: room for a chain popped while no slot is free, to answer it TASK
 *	  SET FULL (request queues)
 * @copy_noted: the log says that this queue copies data it cannot pin
 *		(worker only)
 * @log_used: VHOST_VRING_F_LOG: log the used ring's writes at @log_gpa
 * @log_gpa: the used ring's guest-physical address for the dirty log
 * @stats: counters (request queues; see struct vl_vq_stats)
 * @free: free slots; popped by the worker only, pushed by anyone
 * @done: slots LIO completed, for the worker to answer
 * @inflight: slots not on @free
 * @drained: woken when @inflight reaches 0
 * @reap_work: frees the commands LIO completes once the worker is gone
 * @slot_wanted: the worker found no free slot for a control request and
 *		 left the ring with kicks off: the next vl_slot_put() requeues
 *		 the queue
 * @deferred: TMFs LIO completed whose answer waits for their victims'
 *	      (control queue; worker only)
 * @set_tmf: the task-set TMF handing LIO its ABORT TASKs; the control
 *	     queue takes no new request meanwhile (control queue; worker only)
 * @pending_bit: bit of this queue in the worker's @pending mask
 * @poll: this service round may leave the ring with kicks off for the
 *	  worker to poll (a request queue in a poll window; worker only)
 * @polled: the ring was left empty with kicks off: the worker polls it
 *	    (vl_worker_poll()) and ends the window with a round that turns
 *	    kicks back on (worker only)
 *
 * Ring setup fields are changed by ioctls under dev->mutex with the queue
 * stopped.
 */
struct vl_vq {
	struct vl_dev		*dev;
	unsigned int		index;
	struct vl_worker __rcu	*worker;
	struct mutex		mutex;		/* see @mutex above */
	struct vl_vring		ring;
	u32			num;
	u16			last_avail;
	u16			used_idx;
	u64			desc_ua;
	u64			avail_ua;
	u64			used_ua;
	bool			addr_set;
	struct file		*kick;
	wait_queue_head_t	*kick_wqh;
	wait_queue_entry_t	kick_wait;
	poll_table		kick_pt;
	struct eventfd_ctx	*call;
	struct eventfd_ctx	*err;
	bool			running;
	bool			live;
	bool			broken;
	struct vl_slot		*slots;
	u32			nr_slots;
	struct vl_chain		full;
	bool			copy_noted;
	bool			log_used;
	u64			log_gpa;
	struct vl_vq_stats	stats;
	struct llist_head	free;
	struct llist_head	done;
	atomic_t		inflight;
	wait_queue_head_t	drained;
	struct work_struct	reap_work;
	struct llist_head	deferred;
	struct vl_slot		*set_tmf;
	int			slot_wanted;
	unsigned int		pending_bit;
	bool			poll;
	bool			polled;
};

/**
 * struct vl_worker - a thread serving one or more queues
 * @task: the thread: a vhost_task of the VMM, or a kthread (vl_compat.h)
 * @dev: the device
 * @pending: bit i set: queue vqs[i] has work (a kick or a completion)
 * @lock: serialises adding a queue with the VMM's death (@dead)
 * @dead: the thread died with the VMM (vl_worker_killed()): no queue is
 *	  added any more
 * @vqs: the queues it serves; an entry is written before @nr_vqs counts
 *	 it (release), and stays until the worker is freed
 * @nr_vqs: number of @vqs; the thread reads it with acquire, unlocked
 * @poll_end: local_clock() at which the poll window ends; 0: no window
 * @poll_ns: the window's length, adapted between poll_us/64 and poll_us
 * @poll_over: the window ended: the next round turns kicks back on
 *
 * The poll fields are the worker thread's own.
 */
struct vl_worker {
	struct vl_task		task;
	struct vl_dev		*dev;
	unsigned long		pending;
	spinlock_t		lock;	/* see @lock above */
	bool			dead;
	struct vl_vq		*vqs[VL_MAX_IO_VQS];
	unsigned int		nr_vqs;
	u64			poll_end;
	u32			poll_ns;
	bool			poll_over;
};

/**
 * struct vl_dev - the state behind one open /dev/vhost-scsi
 * @mutex: serialises ioctls and release (the "device-layer mutex" of the
 *	   lock order in vhost_lio.h)
 * @ref: the file's reference and one per slot in use (see the top of this
 *	 file); its release queues @free_work
 * @free_work: unpins the TPGs and frees the device, in process context
 * @copy_pages: pages held by the copy fallback, at most VL_COPY_MAX_PAGES
 * @aborts_unanswered: commands LIO aborted whose answer the guest has not
 *		       got yet; TMF answers wait for it to be 0
 * @resets: LUN RESETs LIO is working on, counted per LUN bucket
 *	    (vl_reset_bucket()): commands of such a LUN aborted meanwhile are
 *	    answered VIRTIO_SCSI_S_RESET
 * @tmf_rs: the rate of TMFs handed to LIO (VL_TMF_BURST)
 * @nexus_ua: per target, a bitmap of VL_MAX_LUN: LUNs whose next command
 *	      gets the unit attention of an I_T NEXUS RESET; allocated by
 *	      the first one (control queue worker), read by request queue
 *	      workers, freed with the device
 * @hold_timer: serves the control and request queues again after
 *	       requests were held back (@tmf_rs, @refused)
 * @refused: commands LIO answered ILLEGAL REQUEST since @refused_since
 *	     (VL_REFUSED_BURST)
 * @refused_since: jiffies when the window of @refused began
 * @log_lock: protects @log_ctx against VHOST_SET_LOG_FD, which swaps it
 *	      without stopping the queues
 * @owner: the VHOST_SET_OWNER caller, whose mm and cgroups workers use
 *	   (any thread with that mm may then use the device);
 *	   NULL until then
 * @mm: @owner's mm (a reference held by get_task_mm())
 * @features: acked features (VHOST_SET_FEATURES); with VHOST_F_LOG_ALL
 *	      every write to guest memory is logged (vl_log.c)
 * @log_base: VHOST_SET_LOG_BASE: the VMM's dirty bitmap, 0 if none
 * @log_ctx: VHOST_SET_LOG_FD: signalled after the used ring is logged
 * @mem: guest memory table (VHOST_SET_MEM_TABLE), or NULL
 * @vqs: the virtqueues
 * @workers: [0] serves the control and event queues, [1 + N % @nr_io_workers]
 *	     request queue N; each is started when its first queue starts
 * @nr_io_workers: request-queue workers at most: the online CPUs the
 *		   owner may run on at VHOST_SET_OWNER (its affinity and
 *		   cpuset), up to VL_MAX_IO_VQS (more threads than
 *		   CPUs, each woken for a request or two, cost more than
 *		   they serve; Documentation/performance.md)
 * @tpgs: TPGs pinned by VHOST_SCSI_SET_ENDPOINT, indexed by target number;
 *	  written with every queue stopped, read by workers
 * @endpoint: VHOST_SCSI_SET_ENDPOINT succeeded and was not cleared
 * @wwpn: the endpoint's WWPN
 * @evt_lock: protects @evts, @evt_first, @evt_count and @events_missed
 *	      (innermost: the "device-layer event lock" of vhost_lio.h)
 * @evts: hotplug events not yet given to the guest, a FIFO
 * @evt_first: index of the oldest of @evts
 * @evt_count: number of queued @evts
 * @events_missed: an event was lost (FIFO full, buffer too small); the
 *		   next one the guest gets says so.  Also
 *		   VHOST_SCSI_SET/GET_EVENTS_MISSED.
 * @id: a number no other device of the module had, given at
 *	VHOST_SET_OWNER: names the debugfs directory "<owner pid>-<id>"
 *	and tells devices apart in the tracepoints
 * @debugfs: that directory, or NULL (none, or debugfs unavailable);
 *	     created and removed under @mutex (vl_stats.c)
 */
struct vl_dev {
	struct mutex		mutex;		/* see @mutex above */
	struct percpu_ref	ref;
	struct work_struct	free_work;
	atomic_t		copy_pages;
	atomic_t		aborts_unanswered;
	atomic_t		resets[VL_RESET_BUCKETS];
	struct ratelimit_state	tmf_rs;
	unsigned long		*nexus_ua[VL_MAX_TARGET];
	struct timer_list	hold_timer;
	atomic_t		refused;
	unsigned long		refused_since;
	spinlock_t		log_lock;	/* protects @log_ctx */
	struct task_struct	*owner;
	struct mm_struct	*mm;
	u64			features;
	u64			log_base;
	struct eventfd_ctx	*log_ctx;
	struct vl_mem		*mem;
	struct vl_vq		vqs[VL_MAX_VQS];
	struct vl_worker	*workers[VL_MAX_IO_VQS + 1];
	unsigned int		nr_io_workers;
	struct vl_tpg		*tpgs[VL_MAX_TARGET];
	bool			endpoint;
	char			wwpn[VL_NAMELEN];
	spinlock_t		evt_lock;	/* see @evt_lock above */
	struct vl_event		evts[VL_MAX_EVENTS];
	unsigned int		evt_first;
	unsigned int		evt_count;
	u32			events_missed;
	u32			id;
	struct dentry		*debugfs;
};

/* vl_vq.c */
int vl_vq_ioctl(struct vl_dev *dev, unsigned int cmd, void __user *argp);
void vl_vq_init(struct vl_dev *dev, struct vl_vq *vq, unsigned int index);
int vl_vq_start(struct vl_vq *vq);
void vl_vq_stop(struct vl_vq *vq);
int vl_vq_quiesce(struct vl_vq *vq);
void vl_vq_reap_work(struct work_struct *work);
void vl_vq_detach_kick(struct vl_vq *vq);
void vl_vq_cleanup(struct vl_vq *vq);
int vl_workers_create(struct vl_dev *dev);
void vl_workers_destroy(struct vl_dev *dev);
void vl_vq_queue_work(struct vl_vq *vq);
void vl_vq_fail(struct vl_vq *vq, int err);
int vl_vq_translate_rings(struct vl_vq *vq, const struct vl_mem *mem);

int vl_vq_add_used(struct vl_vq *vq, const struct vl_chain *c, u32 len);
void vl_vq_flush(struct vl_vq *vq);

/* vl_log.c */
int vl_log_check(u64 base, const struct vl_mem *mem);
int vl_log_check_range(u64 base, u64 gpa, u64 size);
void vl_log_chain(struct vl_vq *vq, const struct vl_chain *c);
void vl_log_used(struct vl_vq *vq);

/*
 * Writes to guest memory are logged: VHOST_F_LOG_ALL acked and a log set
 * (QEMU may ack the feature a moment before it sets the log).
 */
static inline bool vl_logging(const struct vl_dev *dev)
{
	return (dev->features & BIT_ULL(VHOST_F_LOG_ALL)) && dev->log_base;
}

/*
 * VIRTIO_SCSI_F_T10_PI was negotiated: request headers carry the PI
 * counts.  dev->features changes only with every queue stopped
 * (vl_set_features()), so a worker reads it without a lock.
 */
static inline bool vl_t10_pi(const struct vl_dev *dev)
{
	return dev->features & BIT_ULL(VL_VIRTIO_SCSI_F_T10_PI);
}

/* The vl_dev.resets bucket of a target and LUN. */
static inline u8 vl_reset_bucket(u8 target, u16 lun)
{
	return (target + lun) % VL_RESET_BUCKETS;
}

/* vl_slot.c */
int vl_slots_alloc(struct vl_vq *vq);
void vl_slots_free(struct vl_vq *vq);
struct vl_slot *vl_slot_get(struct vl_vq *vq);
void vl_slot_submitted(struct vl_slot *s);
void vl_slot_drop_pages(struct vl_slot *s);
void vl_slot_put(struct vl_slot *s);
void vl_slot_finish(struct vl_slot *s);
void vl_slot_aborts_answered(struct vl_dev *dev, unsigned int n);
void vl_slots_reap(struct vl_vq *vq);

/* vl_data.c */
int vl_data_map(struct vl_slot *s, const struct vl_mem *mem,
		unsigned int *nents);
int vl_data_copy(struct vl_slot *s, const struct vl_mem *mem, u32 bytes,
		 bool to_pages);
int vl_data_map_prot(struct vl_slot *s, const struct vl_mem *mem,
		     unsigned int *nents);

/* vl_io.c */
void vl_io_service(struct vl_vq *vq);
void vl_io_complete_done(struct vl_vq *vq);
void vl_io_hold_timer(struct timer_list *t);

/* vl_ctl.c */
int vl_ctl_one(struct vl_vq *vq);
bool vl_ctl_tmf_done(struct vl_vq *vq, struct vl_slot *s);
void vl_ctl_set_put(struct vl_slot *p);
bool vl_ctl_set_drop(struct vl_slot *p);
u32 vl_ctl_ua_take(struct vl_dev *dev, const struct vl_vscsi_req *req,
		   u8 *sense);
void vl_ctl_free(struct vl_dev *dev);

/* vl_dev.c */
extern struct workqueue_struct *vl_wq;

/* vl_evt.c */
void vl_evt_service(struct vl_vq *vq);
void vl_evt_reset(struct vl_dev *dev);
u32 vl_evt_get_missed(struct vl_dev *dev);
void vl_evt_set_missed_ioctl(struct vl_dev *dev, u32 missed);

/* vl_stats.c */
void vl_stats_init(void);
void vl_stats_exit(void);
void vl_stats_dev_add(struct vl_dev *dev);
void vl_stats_dev_remove(struct vl_dev *dev);
void vl_stats_vq_add(struct vl_vq *vq);
DECLARE_STATIC_KEY_FALSE(vl_null_io);	/* debugfs null_io (vl_stats.c) */
extern bool vl_cost;			/* debugfs cost_split (vl_stats.c) */

/*
 * The cost split (benchmarks only): the worker's time per step, in the
 * _ns counters of struct vl_vq_stats.  vl_cost_start() is local_clock()
 * while the split is on, else 0 (off: a flag read, no clock);
 * vl_cost_add() adds the time since then.  Context: the queue's worker.
 */
static inline u64 vl_cost_start(void)
{
	return unlikely(READ_ONCE(vl_cost)) ? local_clock() : 0;
}

static inline void vl_cost_add(u64 *counter, u64 t0)
{
	u64 now;

	if (!t0)
		return;
	now = local_clock();
	/* The worker may have moved to a CPU whose clock is a bit behind. */
	if (now > t0)
		WRITE_ONCE(*counter, *counter + now - t0);
}

void vl_stats_received(struct vl_vq *vq, struct vl_slot *s);
void vl_stats_submitted(struct vl_vq *vq, const struct vl_slot *s);
void vl_stats_answer(struct vl_vq *vq, const struct vl_chain *c,
		     const struct vl_vscsi_cmd_resp *r);
void vl_stats_batch(struct vl_vq *vq, u64 requests_before);
void vl_trace_tmf(const struct vl_dev *dev, u32 subtype, u8 target, u16 lun,
		  u64 tag, u8 resp);
void vl_trace_event(const struct vl_dev *dev, const struct vl_event *ev,
		    u32 len);

/* Add one to a counter of struct vl_vq_stats (its one writer, see there). */
static inline void vl_stat_inc(u64 *counter)
{
	WRITE_ONCE(*counter, *counter + 1);
}

/*
 * The worker took a chain into slot @s (@s NULL: into vq->full, as every
 * slot is in use).  Context: the queue's worker.
 */
static inline void vl_stats_taken(struct vl_vq *vq, struct vl_slot *s)
{
	vl_stat_inc(&vq->stats.requests);
	if (s)
		s->received = false;
	else
		vl_stat_inc(&vq->stats.slots_exhausted);
}

/* Keep what the vl_tmf tracepoint reports of a TMF LIO will answer. */
static inline void vl_slot_note_tmf(struct vl_slot *s,
				    const struct vl_vscsi_ctrl *ctrl)
{
	s->req.tag = ctrl->tag;
	s->req.target = ctrl->target;
	s->req.lun = ctrl->lun;
	s->tmf_subtype = ctrl->subtype;
}

#endif /* VL_DEVICE_H */
