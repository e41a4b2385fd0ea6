/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vl_trace.h - tracepoints of the device layer: the "vhost_lio" trace
 * system (/sys/kernel/tracing/events/vhost_lio/, perf trace -e
 * 'vhost_lio:*', bpftrace tracepoint:vhost_lio:*).  See
 * Documentation/admin-guide.md, "Counters and tracepoints".
 *
 * Every event names its device by vl_dev.id (the number in the device's
 * debugfs directory name) and a command by its request queue (0 is
 * virtqueue 2) and the guest's tag.  The events fire on the queue's
 * worker; each costs a static branch while disabled.  vl_stats.c defines
 * them (CREATE_TRACE_POINTS); vl_io.c calls them through vl_stats.c.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM vhost_lio

#if !defined(VL_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define VL_TRACE_H

#include <linux/tracepoint.h>

#include "vl_device.h"

/* A request queue's number: virtqueue 2 is request queue 0. */
#define VL_TRACE_QUEUE(vq)	((vq)->index - VL_VQ_IO)

#define VL_TRACE_DIR(d)							\
	__print_symbolic(d, { VL_VSCSI_DIR_NONE, "none" },		\
			 { VL_VSCSI_DIR_TO_DEV, "write" },		\
			 { VL_VSCSI_DIR_FROM_DEV, "read" })

/* A virtio-scsi command parsed from a request queue. */
TRACE_EVENT(vl_cmd_received,
	TP_PROTO(const struct vl_vq *vq, const struct vl_vscsi_req *req),
	TP_ARGS(vq, req),
	TP_STRUCT__entry(
		__field(u64, tag)
		__field(u32, dev)
		__field(u32, queue)
		__field(u32, data_len)
		__field(u16, lun)
		__field(u8, target)
		__field(u8, cdb0)
		__field(u8, dir)
	),
	TP_fast_assign(
		__entry->tag = req->tag;
		__entry->dev = vq->dev->id;
		__entry->queue = VL_TRACE_QUEUE(vq);
		__entry->data_len = req->data_len;
		__entry->lun = req->lun;
		__entry->target = req->target;
		__entry->cdb0 = req->cdb[0];
		__entry->dir = req->dir;
	),
	TP_printk("dev=%u queue=%u tag=%llu target=%u lun=%u cdb0=0x%02x len=%u dir=%s",
		  __entry->dev, __entry->queue, __entry->tag, __entry->target,
		  __entry->lun, __entry->cdb0, __entry->data_len,
		  VL_TRACE_DIR(__entry->dir))
);

/* The command is handed to LIO; copy: its data goes through our pages. */
TRACE_EVENT(vl_cmd_submit,
	TP_PROTO(const struct vl_vq *vq, const struct vl_slot *s),
	TP_ARGS(vq, s),
	TP_STRUCT__entry(
		__field(u64, tag)
		__field(u32, dev)
		__field(u32, queue)
		__field(u32, data_len)
		__field(bool, copy)
	),
	TP_fast_assign(
		__entry->tag = s->req.tag;
		__entry->dev = vq->dev->id;
		__entry->queue = VL_TRACE_QUEUE(vq);
		__entry->data_len = s->req.data_len;
		__entry->copy = s->bounce;
	),
	TP_printk("dev=%u queue=%u tag=%llu len=%u copy=%d",
		  __entry->dev, __entry->queue, __entry->tag,
		  __entry->data_len, __entry->copy)
);

/*
 * The answer a received command gets: response (VIRTIO_SCSI_S_*), SCSI
 * status and residual as written for the guest; lio: LIO executed it (else
 * vhost_lio answered it itself, e.g. TASK SET FULL or an unmapped LUN).
 */
TRACE_EVENT(vl_cmd_complete,
	TP_PROTO(const struct vl_vq *vq, const struct vl_slot *s,
		 const struct vl_vscsi_cmd_resp *r),
	TP_ARGS(vq, s, r),
	TP_STRUCT__entry(
		__field(u64, tag)
		__field(u32, dev)
		__field(u32, queue)
		__field(u32, resid)
		__field(u8, response)
		__field(u8, status)
		__field(bool, lio)
	),
	TP_fast_assign(
		__entry->tag = s->req.tag;
		__entry->dev = vq->dev->id;
		__entry->queue = VL_TRACE_QUEUE(vq);
		__entry->resid = vl_le32_to_cpu(r->resid);
		__entry->response = r->response;
		__entry->status = r->status;
		__entry->lio = READ_ONCE(s->state) == VL_SLOT_DONE;
	),
	TP_printk("dev=%u queue=%u tag=%llu response=%u status=0x%02x resid=%u lio=%d",
		  __entry->dev, __entry->queue, __entry->tag,
		  __entry->response, __entry->status, __entry->resid,
		  __entry->lio)
);

/* A task management function answered (response: VIRTIO_SCSI_S_*). */
TRACE_EVENT(vl_tmf,
	TP_PROTO(const struct vl_dev *dev, u32 subtype, u8 target, u16 lun,
		 u64 tag, u8 response),
	TP_ARGS(dev, subtype, target, lun, tag, response),
	TP_STRUCT__entry(
		__field(u64, tag)
		__field(u32, dev)
		__field(u32, subtype)
		__field(u16, lun)
		__field(u8, target)
		__field(u8, response)
	),
	TP_fast_assign(
		__entry->tag = tag;
		__entry->dev = dev->id;
		__entry->subtype = subtype;
		__entry->lun = lun;
		__entry->target = target;
		__entry->response = response;
	),
	TP_printk("dev=%u subtype=%u target=%u lun=%u tag=%llu response=%u",
		  __entry->dev, __entry->subtype, __entry->target,
		  __entry->lun, __entry->tag, __entry->response)
);

/*
 * An event written into a guest's event buffer (event: VIRTIO_SCSI_T_*,
 * maybe with EVENTS_MISSED; delivered 0: the buffer was too small, the
 * event is lost and the next one says so).
 */
TRACE_EVENT(vl_event,
	TP_PROTO(const struct vl_dev *dev, const struct vl_event *ev, u32 len),
	TP_ARGS(dev, ev, len),
	TP_STRUCT__entry(
		__field(u32, dev)
		__field(u32, event)
		__field(u32, reason)
		__field(u16, lun)
		__field(u8, target)
		__field(bool, delivered)
	),
	TP_fast_assign(
		__entry->dev = dev->id;
		__entry->event = ev->event;
		__entry->reason = ev->reason;
		__entry->lun = ((ev->lun[2] << 8) | ev->lun[3]) & 0x3fff;
		__entry->target = ev->lun[1];
		__entry->delivered = len != 0;
	),
	TP_printk("dev=%u event=0x%x reason=%u target=%u lun=%u delivered=%d",
		  __entry->dev, __entry->event, __entry->reason,
		  __entry->target, __entry->lun, __entry->delivered)
);

#endif /* VL_TRACE_H */

/*
 * define_trace.h includes this file again as TRACE_INCLUDE_PATH/
 * TRACE_INCLUDE_FILE.h: "./vl_trace.h", which the compiler finds through
 * the -I of drivers/device that drivers/Kbuild gives every object (in
 * tree and out of tree alike; out of tree that is the build's mirror).
 */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE vl_trace
#include <trace/define_trace.h>
