/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vl_vring.h - split virtqueue engine of the portable core
 *
 * The device side of a virtio 1.x split virtqueue (virtio spec 2.7): take
 * descriptor chains the guest made available, hand back used ones, and
 * decide about notifications in both directions.  Every value read from
 * the guest is checked; a guest that breaks the ring gets one errno for
 * the first thing it got wrong, and the ring is then marked broken until
 * it is started again.  No locks: one thread drives a ring at a time.
 */
#ifndef VL_VRING_H
#define VL_VRING_H

#include <vlcore/vl_shim.h>

/* Ring sizes allowed by the spec: a power of two up to 32768. */
#define VL_VRING_NUM_MAX		32768U

/* Feature bit numbers of virtio (section 6) that change ring behaviour. */
#define VL_VIRTIO_F_NOTIFY_ON_EMPTY	24
#define VL_VIRTIO_F_ANY_LAYOUT		27
#define VL_VIRTIO_F_INDIRECT_DESC	28
#define VL_VIRTIO_F_EVENT_IDX		29
#define VL_VIRTIO_F_VERSION_1		32

/* Descriptor flags, available and used ring flags (virtio spec 2.7). */
#define VL_VRING_DESC_F_NEXT		1
#define VL_VRING_DESC_F_WRITE		2
#define VL_VRING_DESC_F_INDIRECT	4
#define VL_VRING_AVAIL_F_NO_INTERRUPT	1
#define VL_VRING_USED_F_NO_NOTIFY	1

/* Required alignment of the three parts of a split ring, in bytes. */
#define VL_VRING_DESC_ALIGN		16
#define VL_VRING_AVAIL_ALIGN		2
#define VL_VRING_USED_ALIGN		4

/*
 * Largest indirect table we walk, in descriptors.  The spec bounds a chain
 * by the queue size, but Linux guests size indirect tables by the request
 * and may exceed a small queue; this bound only caps the work per chain.
 */
#define VL_VRING_INDIRECT_MAX		VL_VRING_NUM_MAX

/**
 * struct vl_vring_desc - a descriptor as it is in guest memory
 * @addr: guest-physical address of the buffer
 * @len: length of the buffer in bytes
 * @flags: VL_VRING_DESC_F_*
 * @next: index of the next descriptor when F_NEXT is set
 */
struct vl_vring_desc {
	vl_le64 addr;
	vl_le32 len;
	vl_le16 flags;
	vl_le16 next;
};

/**
 * struct vl_vring_used_elem - a used ring entry as it is in guest memory
 * @id: head index of the chain handed back
 * @len: bytes the device wrote into the chain's writable buffers
 */
struct vl_vring_used_elem {
	vl_le32 id;
	vl_le32 len;
};

_Static_assert(sizeof(struct vl_vring_desc) == 16, "virtq_desc size");
_Static_assert(sizeof(struct vl_vring_used_elem) == 8, "virtq_used_elem");

/* Ring layout: byte sizes and offsets of the parts (virtio spec 2.7). */
#define VL_VRING_DESC_SIZE(num)		(16ULL * (num))
#define VL_VRING_AVAIL_SIZE(num)	(6ULL + 2ULL * (num))
#define VL_VRING_USED_SIZE(num)		(6ULL + 8ULL * (num))
#define VL_VRING_AVAIL_IDX_OFF		2
#define VL_VRING_AVAIL_RING_OFF(i)	(4ULL + 2ULL * (i))
#define VL_VRING_USED_IDX_OFF		2
#define VL_VRING_USED_RING_OFF(i)	(4ULL + 8ULL * (i))

/**
 * enum vl_vring_fault - the first thing a guest got wrong on a ring
 * @VL_FAULT_NONE: the ring is fine
 * @VL_FAULT_AVAIL_IDX: avail->idx moved more than num past last_avail_idx
 * @VL_FAULT_HEAD: avail ring entry >= num
 * @VL_FAULT_NEXT: next >= num (or >= the indirect table's size)
 * @VL_FAULT_LOOP: direct chain longer than num descriptors
 * @VL_FAULT_INDIRECT_LOOP: chain in an indirect table longer than the table
 * @VL_FAULT_INDIRECT_FEATURE: F_INDIRECT without VIRTIO_F_INDIRECT_DESC
 * @VL_FAULT_INDIRECT_NEXT: F_INDIRECT together with F_NEXT
 * @VL_FAULT_INDIRECT_LEN: indirect table length 0, not a multiple of 16
 *	or above VL_VRING_INDIRECT_MAX descriptors
 * @VL_FAULT_NESTED_INDIRECT: F_INDIRECT inside an indirect table
 * @VL_FAULT_ORDER: device-readable descriptor after a device-writable one
 * @VL_FAULT_LEN_OVERFLOW: chain carries more than 2^32 - 1 bytes
 * @VL_FAULT_TOO_MANY_SEGS: more buffers than the caller's segment array
 * @VL_FAULT_MEM_RING: ring index or entry not in guest memory
 * @VL_FAULT_MEM_DESC: descriptor or indirect table not in guest memory
 * @VL_FAULT_MEM_BUF: buffer not in guest memory
 * @VL_FAULT_MEM_USED: used ring not writable
 * @VL_FAULT_NR: number of fault kinds
 */
enum vl_vring_fault {
	VL_FAULT_NONE,
	VL_FAULT_AVAIL_IDX,
	VL_FAULT_HEAD,
	VL_FAULT_NEXT,
	VL_FAULT_LOOP,
	VL_FAULT_INDIRECT_LOOP,
	VL_FAULT_INDIRECT_FEATURE,
	VL_FAULT_INDIRECT_NEXT,
	VL_FAULT_INDIRECT_LEN,
	VL_FAULT_NESTED_INDIRECT,
	VL_FAULT_ORDER,
	VL_FAULT_LEN_OVERFLOW,
	VL_FAULT_TOO_MANY_SEGS,
	VL_FAULT_MEM_RING,
	VL_FAULT_MEM_DESC,
	VL_FAULT_MEM_BUF,
	VL_FAULT_MEM_USED,
	VL_FAULT_NR
};

/**
 * struct vl_vring - device-side state of one split virtqueue
 * @desc: guest-physical address of the descriptor table
 * @avail: guest-physical address of the available ring
 * @used: guest-physical address of the used ring
 * @num: number of entries, a power of two; 0 until vl_vring_init()
 * @last_avail_idx: free-running index of the next avail entry to pop
 * @avail_idx: last value read from avail->idx (validated)
 * @used_idx: free-running index of the next used entry to fill
 * @used_published: last value written to used->idx
 * @signalled_used: @used_published when the guest was last signalled
 * @signalled_used_valid: @signalled_used means something
 * @used_flags: what used->flags holds, as we last wrote it
 * @event_idx: VIRTIO_F_EVENT_IDX negotiated
 * @indirect: VIRTIO_F_INDIRECT_DESC negotiated
 * @notify_on_empty: VIRTIO_F_NOTIFY_ON_EMPTY negotiated
 * @broken: the guest broke the ring; every call fails until restarted
 * @fault: what the guest got wrong, when @broken
 * @fault_val: the offending value (index, flags or length), for logging
 *
 * The device layer owns the memory and serialises calls; the fields are
 * public for reading (logging, debugfs) but are changed only through the
 * functions below.
 */
struct vl_vring {
	u64 desc;
	u64 avail;
	u64 used;
	u32 num;
	u16 last_avail_idx;
	u16 avail_idx;
	u16 used_idx;
	u16 used_published;
	u16 signalled_used;
	bool signalled_used_valid;
	u16 used_flags;
	bool event_idx;
	bool indirect;
	bool notify_on_empty;
	bool broken;
	enum vl_vring_fault fault;
	u64 fault_val;
};

/**
 * struct vl_seg - one guest buffer of a chain
 * @gpa: guest-physical address
 * @len: length in bytes, never 0
 */
struct vl_seg {
	u64 gpa;
	u32 len;
};

/**
 * struct vl_chain - a descriptor chain popped from the available ring
 * @segs: caller's array; segs[0 .. nr_out) are the device-readable
 *	("out") buffers in chain order, segs[nr_out .. nr_out + nr_in) the
 *	device-writable ("in") ones
 * @max_segs: size of @segs, set by the caller
 * @head: descriptor index to hand back in the used ring
 * @nr_out: number of device-readable segments
 * @nr_in: number of device-writable segments
 * @out_len: total bytes of the device-readable segments
 * @in_len: total bytes of the device-writable segments
 *
 * Zero-length descriptors are dropped (they carry no bytes); their flags
 * still count for the readable-before-writable rule and the loop bound.
 * Every segment was checked to lie in guest memory when it was popped.
 */
struct vl_chain {
	struct vl_seg *segs;
	u16 max_segs;
	u16 head;
	u16 nr_out;
	u16 nr_in;
	u32 out_len;
	u32 in_len;
};

/**
 * vl_vring_need_event() - is an index crossing due a notification
 * @event: the other side's event index (used_event or avail_event)
 * @new_idx: index after the update
 * @old_idx: index at the previous notification
 *
 * True if @event lies in [old_idx, new_idx) modulo 2^16, i.e. the update
 * moved the index past the entry the other side asked to be told about.
 *
 * Return: whether to notify.
 */
static inline bool vl_vring_need_event(u16 event, u16 new_idx, u16 old_idx)
{
	return (u16)(new_idx - event - 1) < (u16)(new_idx - old_idx);
}

int vl_vring_init(struct vl_vring *vr, u32 num, u64 desc, u64 avail,
		  u64 used, u64 features);
int vl_vring_check_mem(const struct vl_vring *vr, const struct vl_mem *m);
int vl_vring_start(struct vl_vring *vr, const struct vl_mem *m);
void vl_vring_set_base(struct vl_vring *vr, u16 last_avail_idx, u16 used_idx);
void vl_vring_get_base(const struct vl_vring *vr, u16 *last_avail_idx,
		       u16 *used_idx);
int vl_vring_pop(struct vl_vring *vr, const struct vl_mem *m,
		 struct vl_chain *chain);
int vl_vring_unpop(struct vl_vring *vr, u16 n);
int vl_vring_add_used(struct vl_vring *vr, const struct vl_mem *m, u16 head,
		      u32 len);
int vl_vring_flush_used(struct vl_vring *vr, const struct vl_mem *m);
int vl_vring_need_signal(struct vl_vring *vr, const struct vl_mem *m);
int vl_vring_enable_notify(struct vl_vring *vr, const struct vl_mem *m);
int vl_vring_disable_notify(struct vl_vring *vr, const struct vl_mem *m);
int vl_vring_poll(struct vl_vring *vr, const struct vl_mem *m);
const char *vl_vring_fault_str(enum vl_vring_fault fault);

#endif /* VL_VRING_H */
