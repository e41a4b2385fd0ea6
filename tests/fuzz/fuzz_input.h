/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuzz_input.h - how a fuzz input describes a guest
 *
 * An input is a header followed by guest memory.  The memory is split into
 * two regions: R0 of r0_size bytes at guest-physical 0, and R1, the rest,
 * right after R0 or after a 4 KiB hole.  With FZ_F_TOP a third region of
 * 256 zero bytes sits at the top of the guest-physical address space.
 * The ring's parts are at desc_off * 16, avail_off * 2 and used_off * 4,
 * so they are always aligned; everything else comes from guest memory.
 */
#ifndef FUZZ_INPUT_H
#define FUZZ_INPUT_H

#include <vl_env.h>

/* kind: which queue of a virtio-scsi device the ring is. */
#define FZ_KIND_REQUEST		0
#define FZ_KIND_CONTROL		1
#define FZ_KIND_EVENT		2
#define FZ_NR_KINDS		3

/* features: ring features to negotiate. */
#define FZ_FEAT_INDIRECT	0x01
#define FZ_FEAT_EVENT_IDX	0x02
#define FZ_FEAT_NOTIFY_ON_EMPTY	0x04

/* flags */
#define FZ_F_ADJACENT		0x01	/* no hole between R0 and R1 */
#define FZ_F_TOP		0x02	/* region at the top of the space */
#define FZ_F_UNPOP		0x04	/* give some chains back once */
#define FZ_F_BATCH		0x08	/* flush used entries in batches */
#define FZ_F_SET_USED		0x10	/* used index from the header */
#define FZ_F_T10_PI		0x20	/* VIRTIO_SCSI_F_T10_PI negotiated */

#define FZ_HOLE			0x1000
#define FZ_TOP_SIZE		256

struct fz_hdr {
	u8 num_log2;		/* ring size 1 << (num_log2 % 9) */
	u8 features;
	u8 kind;		/* % FZ_NR_KINDS */
	u8 max_segs;		/* caller's segment array: max_segs + 1 */
	u8 flags;
	u8 skip;		/* header bytes to skip in cursor checks */
	vl_le16 r0_size;
	vl_le16 desc_off;
	vl_le16 avail_off;
	vl_le16 used_off;
	vl_le16 last_avail;
	vl_le16 used_idx;
} __packed;

_Static_assert(sizeof(struct fz_hdr) == 18, "fuzz header size");

#endif /* FUZZ_INPUT_H */
