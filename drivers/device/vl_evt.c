// SPDX-License-Identifier: GPL-2.0
/*
 * vl_evt.c - the event queue: hotplug events for the guest.
 *
 * When a LUN of a TPG that a device pinned is linked or unlinked, the
 * fabric calls vl_dev_lun_changed() (configfs context, the TPG's mutex
 * held).  If the guest negotiated VIRTIO_SCSI_F_HOTPLUG, a TRANSPORT_RESET
 * event (RESCAN or REMOVED) goes on the device's event FIFO and the event
 * queue's worker is woken; it writes the queued events into the buffers
 * the guest posts on the event queue, as they come.  An event that finds
 * the FIFO full, or a buffer the event does not fit, is counted as missed:
 * the next event the guest gets carries VIRTIO_SCSI_T_EVENTS_MISSED (a
 * NO_EVENT one if nothing else is queued), and the guest rescans the bus.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/spinlock.h>
#include <target/target_core_base.h>

#include "vl_device.h"

/*
 * Queue an event, or count it missed when the FIFO is full.
 * Context: any process context; takes dev->evt_lock.
 */
static void vl_evt_push(struct vl_dev *dev, u32 event, const u8 *lun,
			u32 reason)
{
	struct vl_event *ev;

	spin_lock(&dev->evt_lock);
	if (dev->evt_count == VL_MAX_EVENTS) {
		dev->events_missed = 1;
	} else {
		ev = &dev->evts[(dev->evt_first + dev->evt_count) %
				VL_MAX_EVENTS];
		ev->event = event;
		ev->reason = reason;
		memcpy(ev->lun, lun, sizeof(ev->lun));
		dev->evt_count++;
	}
	spin_unlock(&dev->evt_lock);
}

/* Something to tell the guest: a queued event or a missed one. */
static bool vl_evt_pending(struct vl_dev *dev)
{
	bool ret;

	spin_lock(&dev->evt_lock);
	ret = dev->evt_count || dev->events_missed;
	spin_unlock(&dev->evt_lock);
	return ret;
}

/*
 * Take the next event to send; the first one after a loss carries
 * VIRTIO_SCSI_T_EVENTS_MISSED.  Return: false if there is nothing to send.
 */
static bool vl_evt_take(struct vl_dev *dev, struct vl_event *ev)
{
	bool ret = true;

	spin_lock(&dev->evt_lock);
	if (dev->evt_count) {
		*ev = dev->evts[dev->evt_first];
		dev->evt_first = (dev->evt_first + 1) % VL_MAX_EVENTS;
		dev->evt_count--;
	} else if (dev->events_missed) {
		memset(ev, 0, sizeof(*ev));
		ev->event = VL_VSCSI_T_NO_EVENT;
	} else {
		ret = false;
	}
	if (ret && dev->events_missed) {
		ev->event |= VL_VSCSI_T_EVENTS_MISSED;
		dev->events_missed = 0;
	}
	spin_unlock(&dev->evt_lock);
	return ret;
}

static void vl_evt_set_missed(struct vl_dev *dev)
{
	spin_lock(&dev->evt_lock);
	dev->events_missed = 1;
	spin_unlock(&dev->evt_lock);
}

/**
 * vl_evt_reset() - forget every queued event and a missed one
 * @dev: the device, with its queues stopped
 */
void vl_evt_reset(struct vl_dev *dev)
{
	spin_lock(&dev->evt_lock);
	dev->evt_first = 0;
	dev->evt_count = 0;
	dev->events_missed = 0;
	spin_unlock(&dev->evt_lock);
}

/**
 * vl_evt_get_missed() - VHOST_SCSI_GET_EVENTS_MISSED
 * @dev: the device
 *
 * Return: 1 if an event was lost and the guest was not told yet, else 0.
 */
u32 vl_evt_get_missed(struct vl_dev *dev)
{
	u32 ret;

	spin_lock(&dev->evt_lock);
	ret = dev->events_missed;
	spin_unlock(&dev->evt_lock);
	return ret;
}

/**
 * vl_evt_set_missed_ioctl() - VHOST_SCSI_SET_EVENTS_MISSED
 * @dev: the device
 * @missed: non-zero: tell the guest that events were lost (with its next
 *	    event, or a NO_EVENT one as soon as it has a buffer posted);
 *	    zero: do not
 */
void vl_evt_set_missed_ioctl(struct vl_dev *dev, u32 missed)
{
	spin_lock(&dev->evt_lock);
	dev->events_missed = !!missed;
	spin_unlock(&dev->evt_lock);
	if (missed)
		vl_vq_queue_work(&dev->vqs[VL_VQ_EVT]);
}

/**
 * vl_evt_service() - send queued events into the guest's event buffers
 * @vq: the event queue
 *
 * With events to send and no buffer, guest kicks are enabled so that the
 * next buffer the guest posts wakes us.  Buffers wait while there is
 * nothing to send.
 *
 * Context: the queue's worker, vq->mutex held.
 */
void vl_evt_service(struct vl_vq *vq)
{
	struct vl_dev *dev = vq->dev;
	const struct vl_mem *mem = dev->mem;
	struct vl_seg segs[VL_CTL_MAX_SEGS];
	struct vl_chain c = { .segs = segs, .max_segs = ARRAY_SIZE(segs) };
	struct vl_event ev;
	u32 len;
	int ret;

	lockdep_assert_held(&vq->mutex);
	while (vl_evt_pending(dev)) {
		ret = vl_vring_pop(&vq->ring, mem, &c);
		if (!ret) {
			/* A buffer posted meanwhile may have come unkicked. */
			ret = vl_vring_enable_notify(&vq->ring, mem);
			if (ret > 0)
				continue;
			if (!ret)
				break;
		}
		if (ret < 0) {
			vl_vq_fail(vq, ret);
			return;
		}
		if (!vl_evt_take(dev, &ev)) {
			/* SET_EVENTS_MISSED 0 took it back: keep the buffer. */
			vl_vring_unpop(&vq->ring, 1);
			break;
		}
		len = sizeof(struct vl_vscsi_event);
		if (vl_vscsi_put_event(&c, mem, ev.event, ev.lun, ev.reason)) {
			/* No room for it in that buffer: lost. */
			vl_evt_set_missed(dev);
			len = 0;
		}
		vl_trace_event(dev, &ev, len);
		if (vl_vq_add_used(vq, &c, len)) {
			vl_vq_fail(vq, -EFAULT);
			return;
		}
	}
	vl_vq_flush(vq);
}

/* ---- fabric hook (see vhost_lio.h) ------------------------------------- */

void vl_dev_lun_changed(struct vl_tpg *tpg, struct se_lun *lun, bool added)
{
	struct vl_dev *dev = tpg->dev;
	u8 addr[8];

	/* The guest acked its features before the endpoint pinned @tpg. */
	if (!(READ_ONCE(dev->features) & BIT_ULL(VL_VIRTIO_SCSI_F_HOTPLUG)))
		return;
	/* virtio-scsi addresses LUNs 0..16383; the guest cannot see others. */
	if (lun->unpacked_lun > 0x3fff)
		return;
	vl_vscsi_lun_encode(addr, tpg->tpgt, lun->unpacked_lun);
	vl_evt_push(dev, VL_VSCSI_T_TRANSPORT_RESET, addr,
		    added ? VL_VSCSI_EVT_RESET_RESCAN :
			    VL_VSCSI_EVT_RESET_REMOVED);
	vl_vq_queue_work(&dev->vqs[VL_VQ_EVT]);
}
