// SPDX-License-Identifier: GPL-2.0
/*
 * vring.c - split virtqueue engine of the portable core
 *
 * See include/vlcore/vl_vring.h for the model and Documentation/core.md for
 * the checks.  Guest memory is reached only through the vl_mem_* accessors
 * of the shim; ring indices through vl_mem_load16()/vl_mem_store16(),
 * which are single accesses, since the guest updates them concurrently.
 */
#include <vlcore/vl_vring.h>

static const char * const vl_fault_names[VL_FAULT_NR] = {
	[VL_FAULT_NONE]			= "none",
	[VL_FAULT_AVAIL_IDX]		= "avail idx moved more than num",
	[VL_FAULT_HEAD]			= "avail ring head out of range",
	[VL_FAULT_NEXT]			= "descriptor next out of range",
	[VL_FAULT_LOOP]			= "descriptor chain loops",
	[VL_FAULT_INDIRECT_LOOP]	= "indirect descriptor chain loops",
	[VL_FAULT_INDIRECT_FEATURE]	= "indirect descriptor not negotiated",
	[VL_FAULT_INDIRECT_NEXT]	= "indirect descriptor with next",
	[VL_FAULT_INDIRECT_LEN]		= "bad indirect table length",
	[VL_FAULT_NESTED_INDIRECT]	= "nested indirect descriptor",
	[VL_FAULT_ORDER]		= "readable descriptor after writable",
	[VL_FAULT_LEN_OVERFLOW]		= "chain longer than 4 GiB",
	[VL_FAULT_TOO_MANY_SEGS]	= "too many segments in chain",
	[VL_FAULT_MEM_RING]		= "avail ring not in guest memory",
	[VL_FAULT_MEM_DESC]		= "descriptor not in guest memory",
	[VL_FAULT_MEM_BUF]		= "buffer not in guest memory",
	[VL_FAULT_MEM_USED]		= "used ring not writable",
};

/**
 * vl_vring_fault_str() - describe a ring fault, for logs
 * @fault: the fault
 *
 * Return: a constant string.
 */
const char *vl_vring_fault_str(enum vl_vring_fault fault)
{
	if ((unsigned int)fault >= VL_FAULT_NR)
		return "unknown";
	return vl_fault_names[fault];
}

/* Record the first fault, mark the ring broken and pass @err through. */
static int vl_vring_fail(struct vl_vring *vr, enum vl_vring_fault fault,
			 u64 val, int err)
{
	vr->broken = true;
	vr->fault = fault;
	vr->fault_val = val;
	return err;
}

static bool vl_feature(u64 features, unsigned int bit)
{
	return features & (1ULL << bit);
}

/**
 * vl_vring_init() - set up a ring's geometry and features
 * @vr: the ring; all of it is overwritten
 * @num: number of entries: a power of two, 1 to VL_VRING_NUM_MAX
 * @desc: guest-physical address of the descriptor table, 16-aligned
 * @avail: guest-physical address of the available ring, 2-aligned
 * @used: guest-physical address of the used ring, 4-aligned
 * @features: negotiated virtio feature bits (1ULL << VL_VIRTIO_F_*)
 *
 * Only the values are checked here; vl_vring_start() checks them against
 * guest memory.  Indices start at 0 (see vl_vring_set_base()).
 *
 * Return: 0, or -EINVAL for a bad size, a misaligned part or a part that
 * wraps past 2^64.
 */
int vl_vring_init(struct vl_vring *vr, u32 num, u64 desc, u64 avail,
		  u64 used, u64 features)
{
	if (!num || num > VL_VRING_NUM_MAX || (num & (num - 1)))
		return -EINVAL;
	if (desc % VL_VRING_DESC_ALIGN || avail % VL_VRING_AVAIL_ALIGN ||
	    used % VL_VRING_USED_ALIGN)
		return -EINVAL;
	if (vl_mem_wraps(desc, VL_VRING_DESC_SIZE(num)) ||
	    vl_mem_wraps(avail, VL_VRING_AVAIL_SIZE(num)) ||
	    vl_mem_wraps(used, VL_VRING_USED_SIZE(num)))
		return -EINVAL;

	memset(vr, 0, sizeof(*vr));
	vr->desc = desc;
	vr->avail = avail;
	vr->used = used;
	vr->num = num;
	vr->event_idx = vl_feature(features, VL_VIRTIO_F_EVENT_IDX);
	vr->indirect = vl_feature(features, VL_VIRTIO_F_INDIRECT_DESC);
	vr->notify_on_empty = vl_feature(features,
					 VL_VIRTIO_F_NOTIFY_ON_EMPTY);
	return 0;
}

/**
 * vl_vring_check_mem() - do a ring's three parts lie in guest memory
 * @vr: an initialised ring
 * @m: guest memory
 *
 * Return: 0, -EINVAL if @vr was never initialised, -EFAULT if some byte
 * of the descriptor table, available ring or used ring (including the
 * event index fields) is not in guest memory.
 */
int vl_vring_check_mem(const struct vl_vring *vr, const struct vl_mem *m)
{
	if (!vr->num)
		return -EINVAL;
	if (vl_mem_check(m, vr->desc, VL_VRING_DESC_SIZE(vr->num)) ||
	    vl_mem_check(m, vr->avail, VL_VRING_AVAIL_SIZE(vr->num)) ||
	    vl_mem_check(m, vr->used, VL_VRING_USED_SIZE(vr->num)))
		return -EFAULT;
	return 0;
}

/**
 * vl_vring_start() - make a ring ready to process requests
 * @vr: an initialised ring
 * @m: guest memory
 *
 * Checks the ring against guest memory, takes the used index from the
 * guest's used->idx (it is the guest's memory that survives migration and
 * device restarts), enables guest kicks (used->flags, or avail_event set
 * to last_avail_idx with event index) and clears any earlier fault.
 * last_avail_idx is kept: set it with vl_vring_set_base() first.  Chains
 * the guest made available before the start came with no kick: process
 * the ring once after starting it.
 *
 * Return: 0, or the error of vl_vring_check_mem(), or -EFAULT if the used
 * ring cannot be read or written.
 */
int vl_vring_start(struct vl_vring *vr, const struct vl_mem *m)
{
	u16 used_idx;
	int ret;

	ret = vl_vring_check_mem(vr, m);
	if (ret)
		return ret;
	if (vl_mem_load16(m, vr->used + VL_VRING_USED_IDX_OFF, &used_idx) ||
	    vl_mem_store16(m, vr->used, 0))
		return -EFAULT;
	/* With event index, a stale avail_event could hold kicks back. */
	if (vr->event_idx &&
	    vl_mem_store16(m, vr->used + VL_VRING_USED_RING_OFF(vr->num),
			   vr->last_avail_idx))
		return -EFAULT;
	vr->used_idx = used_idx;
	vr->used_published = used_idx;
	vr->used_flags = 0;
	vr->avail_idx = vr->last_avail_idx;
	vr->signalled_used_valid = false;
	vr->broken = false;
	vr->fault = VL_FAULT_NONE;
	vr->fault_val = 0;
	return 0;
}

/**
 * vl_vring_set_base() - set where a ring resumes (VHOST_SET_VRING_BASE)
 * @vr: the ring, not being processed
 * @last_avail_idx: next available ring entry to pop
 * @used_idx: next used ring entry to fill
 *
 * vl_vring_start() reloads the used index from guest memory: to force
 * @used_idx call this after it.
 */
void vl_vring_set_base(struct vl_vring *vr, u16 last_avail_idx, u16 used_idx)
{
	vr->last_avail_idx = last_avail_idx;
	vr->avail_idx = last_avail_idx;
	vr->used_idx = used_idx;
	vr->used_published = used_idx;
	vr->signalled_used_valid = false;
}

/**
 * vl_vring_get_base() - where a ring stands (VHOST_GET_VRING_BASE)
 * @vr: the ring, not being processed
 * @last_avail_idx: set to the next available ring entry to pop
 * @used_idx: set to the used index the guest has been shown; entries
 *	added but not flushed are not counted
 */
void vl_vring_get_base(const struct vl_vring *vr, u16 *last_avail_idx,
		       u16 *used_idx)
{
	*last_avail_idx = vr->last_avail_idx;
	*used_idx = vr->used_published;
}

/*
 * Read avail->idx into vr->avail_idx.  The guest may only move it forward,
 * by at most num entries past what we have consumed.
 */
static int vl_vring_read_avail_idx(struct vl_vring *vr,
				   const struct vl_mem *m)
{
	u64 at = vr->avail + VL_VRING_AVAIL_IDX_OFF;
	u16 idx;

	if (vl_mem_load16(m, at, &idx))
		return vl_vring_fail(vr, VL_FAULT_MEM_RING, at, -EFAULT);
	if ((u16)(idx - vr->last_avail_idx) > vr->num)
		return vl_vring_fail(vr, VL_FAULT_AVAIL_IDX, idx, -EINVAL);
	/*
	 * Order the read of avail->idx before the reads of the ring entries
	 * and descriptors it makes available; pairs with the guest's write
	 * barrier between writing those and publishing the new idx.
	 */
	vl_smp_rmb();
	vr->avail_idx = idx;
	return 0;
}

/* Where a chain walk stands. */
struct vl_walk {
	u64 table;		/* descriptor table being walked */
	u32 size;		/* entries in that table */
	u32 seen;		/* descriptors visited in that table */
	bool in_indirect;	/* the table is an indirect one */
	bool seen_write;	/* a device-writable descriptor went by */
	u64 total;		/* bytes in the chain so far */
};

/* Switch the walk to the indirect table that @d refers to. */
static int vl_vring_enter_indirect(struct vl_vring *vr,
				   const struct vl_mem *m,
				   struct vl_walk *w,
				   const struct vl_vring_desc *d, u16 flags)
{
	u64 addr = vl_le64_to_cpu(d->addr);
	u32 len = vl_le32_to_cpu(d->len);

	if (!vr->indirect)
		return vl_vring_fail(vr, VL_FAULT_INDIRECT_FEATURE, flags,
				     -EINVAL);
	if (w->in_indirect)
		return vl_vring_fail(vr, VL_FAULT_NESTED_INDIRECT, flags,
				     -EINVAL);
	if (flags & VL_VRING_DESC_F_NEXT)
		return vl_vring_fail(vr, VL_FAULT_INDIRECT_NEXT, flags,
				     -EINVAL);
	if (!len || len % sizeof(struct vl_vring_desc) ||
	    len / sizeof(struct vl_vring_desc) > VL_VRING_INDIRECT_MAX)
		return vl_vring_fail(vr, VL_FAULT_INDIRECT_LEN, len, -EINVAL);
	if (vl_mem_check(m, addr, len))
		return vl_vring_fail(vr, VL_FAULT_MEM_DESC, addr, -EFAULT);

	/* The F_WRITE flag of the descriptor naming the table is ignored. */
	w->table = addr;
	w->size = len / sizeof(struct vl_vring_desc);
	w->seen = 0;
	w->in_indirect = true;
	return 0;
}

/* Append the buffer of descriptor @d to @chain. */
static int vl_vring_add_seg(struct vl_vring *vr, const struct vl_mem *m,
			    struct vl_walk *w, struct vl_chain *chain,
			    const struct vl_vring_desc *d, u16 flags)
{
	u64 addr = vl_le64_to_cpu(d->addr);
	u32 len = vl_le32_to_cpu(d->len);
	bool write = flags & VL_VRING_DESC_F_WRITE;
	struct vl_seg *seg;

	if (write)
		w->seen_write = true;
	else if (w->seen_write)
		return vl_vring_fail(vr, VL_FAULT_ORDER, flags, -EINVAL);
	if (!len)
		return 0;
	w->total += len;
	if (w->total > 0xffffffffULL)
		return vl_vring_fail(vr, VL_FAULT_LEN_OVERFLOW, w->total,
				     -EOVERFLOW);
	if (chain->nr_out + chain->nr_in >= chain->max_segs)
		return vl_vring_fail(vr, VL_FAULT_TOO_MANY_SEGS,
				     chain->max_segs, -E2BIG);
	if (vl_mem_check(m, addr, len))
		return vl_vring_fail(vr, VL_FAULT_MEM_BUF, addr, -EFAULT);

	seg = &chain->segs[chain->nr_out + chain->nr_in];
	seg->gpa = addr;
	seg->len = len;
	if (write) {
		chain->nr_in++;
		chain->in_len += len;
	} else {
		chain->nr_out++;
		chain->out_len += len;
	}
	return 0;
}

/* Follow the chain starting at @chain->head into @chain. */
static int vl_vring_walk(struct vl_vring *vr, const struct vl_mem *m,
			 struct vl_chain *chain)
{
	struct vl_walk w = { .table = vr->desc, .size = vr->num };
	struct vl_vring_desc d;
	u32 idx = chain->head;
	u64 at;
	u16 flags;
	int ret;

	for (;;) {
		if (++w.seen > w.size)
			return vl_vring_fail(vr, w.in_indirect ?
					     VL_FAULT_INDIRECT_LOOP :
					     VL_FAULT_LOOP, chain->head,
					     -ELOOP);
		at = w.table + (u64)idx * sizeof(d);
		if (vl_mem_read(m, at, &d, sizeof(d)))
			return vl_vring_fail(vr, VL_FAULT_MEM_DESC, at,
					     -EFAULT);
		flags = vl_le16_to_cpu(d.flags);
		if (flags & VL_VRING_DESC_F_INDIRECT) {
			ret = vl_vring_enter_indirect(vr, m, &w, &d, flags);
			if (ret)
				return ret;
			idx = 0;
			continue;
		}
		ret = vl_vring_add_seg(vr, m, &w, chain, &d, flags);
		if (ret)
			return ret;
		if (!(flags & VL_VRING_DESC_F_NEXT))
			return 0;
		idx = vl_le16_to_cpu(d.next);
		if (idx >= w.size)
			return vl_vring_fail(vr, VL_FAULT_NEXT, idx, -EINVAL);
	}
}

/**
 * vl_vring_pop() - take the next available descriptor chain
 * @vr: a started ring
 * @m: guest memory
 * @chain: filled in; the caller sets @chain->segs and @chain->max_segs
 *
 * On success the chain is the device's until it is handed back with
 * vl_vring_add_used() or returned with vl_vring_unpop().
 *
 * Return: 1 with @chain filled in; 0 if no chain is available; -EIO if
 * the ring is already broken; otherwise the guest broke the ring, which
 * is now marked broken (see @vr->fault): -EINVAL (bad index, flags,
 * order or indirect table), -ELOOP (chain loops), -EOVERFLOW (over 4 GiB),
 * -E2BIG (more buffers than @chain->max_segs), -EFAULT (ring, descriptor
 * or buffer not in guest memory).
 */
int vl_vring_pop(struct vl_vring *vr, const struct vl_mem *m,
		 struct vl_chain *chain)
{
	u64 at;
	u16 head;
	int ret;

	if (vr->broken)
		return -EIO;
	if (vr->last_avail_idx == vr->avail_idx) {
		ret = vl_vring_read_avail_idx(vr, m);
		if (ret)
			return ret;
		if (vr->last_avail_idx == vr->avail_idx)
			return 0;
	}

	at = vr->avail + VL_VRING_AVAIL_RING_OFF(vr->last_avail_idx &
						 (vr->num - 1));
	if (vl_mem_load16(m, at, &head))
		return vl_vring_fail(vr, VL_FAULT_MEM_RING, at, -EFAULT);
	if (head >= vr->num)
		return vl_vring_fail(vr, VL_FAULT_HEAD, head, -EINVAL);

	chain->head = head;
	chain->nr_out = 0;
	chain->nr_in = 0;
	chain->out_len = 0;
	chain->in_len = 0;
	ret = vl_vring_walk(vr, m, chain);
	if (ret)
		return ret;
	vr->last_avail_idx++;
	return 1;
}

/**
 * vl_vring_unpop() - give back the last popped chains, unused
 * @vr: the ring
 * @n: how many chains, the most recently popped ones
 *
 * For a device that ran out of resources: the chains are popped again,
 * in the same order, by later calls to vl_vring_pop().
 *
 * Return: 0, -EIO if the ring is broken, -EINVAL if @n exceeds the ring
 * size.
 */
int vl_vring_unpop(struct vl_vring *vr, u16 n)
{
	if (vr->broken)
		return -EIO;
	if (n > vr->num)
		return -EINVAL;
	vr->last_avail_idx -= n;
	return 0;
}

/**
 * vl_vring_add_used() - hand a chain back to the guest, unpublished
 * @vr: the ring
 * @m: guest memory
 * @head: the chain's head, as popped
 * @len: bytes written to the chain's device-writable buffers
 *
 * Writes a used ring entry; the guest sees it after vl_vring_flush_used(),
 * which can publish many entries at once.
 *
 * Return: 0; -EIO if the ring is broken; -EINVAL if @head is not a
 * descriptor index; -ENOSPC if num entries are already waiting for a
 * flush; -EFAULT if the used ring is not writable (the ring is then
 * broken).
 */
int vl_vring_add_used(struct vl_vring *vr, const struct vl_mem *m, u16 head,
		      u32 len)
{
	struct vl_vring_used_elem e;
	u64 at;

	if (vr->broken)
		return -EIO;
	if (head >= vr->num)
		return -EINVAL;
	if ((u16)(vr->used_idx - vr->used_published) >= vr->num)
		return -ENOSPC;

	e.id = vl_cpu_to_le32(head);
	e.len = vl_cpu_to_le32(len);
	at = vr->used + VL_VRING_USED_RING_OFF(vr->used_idx & (vr->num - 1));
	if (vl_mem_write(m, at, &e, sizeof(e)))
		return vl_vring_fail(vr, VL_FAULT_MEM_USED, at, -EFAULT);
	vr->used_idx++;
	return 0;
}

/**
 * vl_vring_flush_used() - publish the used entries added so far
 * @vr: the ring
 * @m: guest memory
 *
 * Return: 0 (also when there was nothing to publish); -EIO if the ring is
 * broken; -EFAULT if used->idx is not writable (the ring is then broken).
 */
int vl_vring_flush_used(struct vl_vring *vr, const struct vl_mem *m)
{
	u64 at = vr->used + VL_VRING_USED_IDX_OFF;

	if (vr->broken)
		return -EIO;
	if (vr->used_idx == vr->used_published)
		return 0;
	/*
	 * Order the used entries, and the data written into the buffers they
	 * describe, before the used->idx store that hands them over; pairs
	 * with the guest's read barrier between reading used->idx and
	 * reading the entries.
	 */
	vl_smp_wmb();
	if (vl_mem_store16(m, at, vr->used_idx))
		return vl_vring_fail(vr, VL_FAULT_MEM_USED, at, -EFAULT);
	vr->used_published = vr->used_idx;
	return 0;
}

/**
 * vl_vring_need_signal() - does the guest want an interrupt now
 * @vr: the ring, after vl_vring_flush_used()
 * @m: guest memory
 *
 * Honours VIRTIO_F_EVENT_IDX (used_event) or else VRING_AVAIL_F_NO_INTERRUPT,
 * and VIRTIO_F_NOTIFY_ON_EMPTY: with it, the guest is signalled whenever
 * the device has consumed every chain it was offered, suppressed or not.
 * With event index, the answer also records that the guest is being
 * signalled up to the current used index, so call this once per flush.
 *
 * Return: 1 to signal, 0 not to; -EIO if the ring is broken; -EFAULT if
 * the available ring cannot be read (the ring is then broken).
 */
int vl_vring_need_signal(struct vl_vring *vr, const struct vl_mem *m)
{
	bool empty, valid;
	u16 flags, event, old;
	u64 at;

	if (vr->broken)
		return -EIO;
	/*
	 * Order the used->idx store of the flush before the reads of the
	 * guest's suppression state below; pairs with the full barrier the
	 * guest puts between re-enabling interrupts and re-reading
	 * used->idx, so that either we see interrupts enabled or the guest
	 * sees our entries.
	 */
	vl_smp_mb();
	empty = vr->notify_on_empty && vr->avail_idx == vr->last_avail_idx;

	if (!vr->event_idx) {
		if (empty)
			return 1;
		at = vr->avail;
		if (vl_mem_load16(m, at, &flags))
			return vl_vring_fail(vr, VL_FAULT_MEM_RING, at,
					     -EFAULT);
		return !(flags & VL_VRING_AVAIL_F_NO_INTERRUPT);
	}

	old = vr->signalled_used;
	valid = vr->signalled_used_valid;
	vr->signalled_used = vr->used_published;
	vr->signalled_used_valid = true;
	if (empty || !valid)
		return 1;
	at = vr->avail + VL_VRING_AVAIL_RING_OFF(vr->num);
	if (vl_mem_load16(m, at, &event))
		return vl_vring_fail(vr, VL_FAULT_MEM_RING, at, -EFAULT);
	return vl_vring_need_event(event, vr->used_published, old);
}

/* Write used->flags if it changes. */
static int vl_vring_set_used_flags(struct vl_vring *vr,
				   const struct vl_mem *m, u16 flags)
{
	if (vr->used_flags == flags)
		return 0;
	if (vl_mem_store16(m, vr->used, flags))
		return vl_vring_fail(vr, VL_FAULT_MEM_USED, vr->used, -EFAULT);
	vr->used_flags = flags;
	return 0;
}

/**
 * vl_vring_enable_notify() - ask the guest to kick on new chains again
 * @vr: the ring
 * @m: guest memory
 *
 * Call when vl_vring_pop() found the ring empty, before sleeping.  After
 * re-enabling, the available index is read again: a chain the guest added
 * meanwhile may have come without a kick.
 *
 * Return: 1 if chains are available (keep processing; kicks are enabled
 * anyway), 0 if the ring is empty; -EIO if the ring is broken; -EFAULT
 * or -EINVAL as vl_vring_pop() for a bad ring (the ring is then broken).
 */
int vl_vring_enable_notify(struct vl_vring *vr, const struct vl_mem *m)
{
	u64 at;
	int ret;

	if (vr->broken)
		return -EIO;
	if (vr->event_idx) {
		/* Kick us when you make entry avail_idx available. */
		at = vr->used + VL_VRING_USED_RING_OFF(vr->num);
		if (vl_mem_store16(m, at, vr->avail_idx))
			return vl_vring_fail(vr, VL_FAULT_MEM_USED, at,
					     -EFAULT);
	} else {
		ret = vl_vring_set_used_flags(vr, m, vr->used_flags &
					      ~VL_VRING_USED_F_NO_NOTIFY);
		if (ret)
			return ret;
	}
	/*
	 * Order the store that re-enables kicks before the re-read of
	 * avail->idx; pairs with the guest's full barrier between publishing
	 * avail->idx and reading used->flags or avail_event.  Without it, a
	 * chain added just now could be missed by both sides.
	 */
	vl_smp_mb();
	ret = vl_vring_read_avail_idx(vr, m);
	if (ret)
		return ret;
	return vr->avail_idx != vr->last_avail_idx;
}

/**
 * vl_vring_poll() - look for new chains without touching notification
 * @vr: the ring
 * @m: guest memory
 *
 * For a device that left kicks off and watches the ring itself (busy
 * polling): reads the available index, and writes nothing.
 *
 * Return: 1 if chains are available, 0 if not; -EIO if the ring is
 * broken; -EFAULT or -EINVAL as vl_vring_pop() for a bad ring (the ring
 * is then broken).
 */
int vl_vring_poll(struct vl_vring *vr, const struct vl_mem *m)
{
	int ret;

	if (vr->broken)
		return -EIO;
	if (vr->avail_idx != vr->last_avail_idx)
		return 1;
	ret = vl_vring_read_avail_idx(vr, m);
	if (ret)
		return ret;
	return vr->avail_idx != vr->last_avail_idx;
}

/**
 * vl_vring_disable_notify() - tell the guest kicks are not needed
 * @vr: the ring
 * @m: guest memory
 *
 * Call when starting to process a kick.  With event index nothing is
 * written: avail_event stays where vl_vring_enable_notify() left it and
 * the guest stops kicking once it has passed it.
 *
 * Return: 0; -EIO if the ring is broken; -EFAULT if used->flags is not
 * writable (the ring is then broken).
 */
int vl_vring_disable_notify(struct vl_vring *vr, const struct vl_mem *m)
{
	if (vr->broken)
		return -EIO;
	if (vr->event_idx)
		return 0;
	return vl_vring_set_used_flags(vr, m, vr->used_flags |
				       VL_VRING_USED_F_NO_NOTIFY);
}
