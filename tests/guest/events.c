// SPDX-License-Identifier: GPL-2.0
/*
 * Event watcher: attach like the suite, keep event buffers posted on the
 * event queue (re-posting each one after use, as the Linux driver does),
 * and print one "EVENT: ..." line per event until --seconds pass.  A test
 * changes the configuration meanwhile (link/unlink LUNs) and greps them.
 *
 * --late-events MS posts no buffer until MS ms after "READY", or until
 * SIGUSR1 comes if that is sooner, then posts them and kicks: events raised
 * in between find no buffer; a device may keep them for the buffers or
 * report VIRTIO_SCSI_T_EVENTS_MISSED.  --seconds counts from the posting.
 *
 * --until-signal: the test sends SIGUSR1 once its changes are done (as
 * well); the watcher runs until then, however slow the changes were, and
 * then until --seconds pass with no new event: the window follows the
 * device's progress instead of the clock.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "vl-guest.h"

static void ev_report(bool ok, const char *what, const char *detail)
{
	if (!ok)
		printf("FAIL: %s (%s)\n", what, detail ? detail : "");
}

static const char *type_name(uint32_t t)
{
	switch (t & ~VIRTIO_SCSI_T_EVENTS_MISSED) {
	case VIRTIO_SCSI_T_NO_EVENT:
		return "NO_EVENT";
	case VIRTIO_SCSI_T_TRANSPORT_RESET:
		return "TRANSPORT_RESET";
	case VIRTIO_SCSI_T_ASYNC_NOTIFY:
		return "ASYNC_NOTIFY";
	case VIRTIO_SCSI_T_PARAM_CHANGE:
		return "PARAM_CHANGE";
	}
	return "?";
}

static const char *reason_name(uint32_t t, uint32_t r)
{
	if ((t & ~VIRTIO_SCSI_T_EVENTS_MISSED) != VIRTIO_SCSI_T_TRANSPORT_RESET)
		return "-";
	switch (r) {
	case VIRTIO_SCSI_EVT_RESET_HARD:
		return "HARD";
	case VIRTIO_SCSI_EVT_RESET_RESCAN:
		return "RESCAN";
	case VIRTIO_SCSI_EVT_RESET_REMOVED:
		return "REMOVED";
	}
	return "?";
}

static void print_event(const uint8_t *e, uint32_t len)
{
	uint32_t t = get_le32(e), r = get_le32(e + 12);

	printf("EVENT: type=%s missed=%u reason=%s lun0=%u target=%u "
	       "lun=%u lun_bytes=%02x%02x%02x%02x%02x%02x%02x%02x "
	       "raw_event=%#x raw_reason=%u used_len=%u\n", type_name(t),
	       !!(t & VIRTIO_SCSI_T_EVENTS_MISSED), reason_name(t, r), e[4],
	       e[5], (unsigned int)((e[6] << 8 | e[7]) & 0x3fff), e[4], e[5],
	       e[6], e[7], e[8], e[9], e[10], e[11], t, r, len);
	fflush(stdout);
}

static int repost(struct gvq *vq, struct vdev *d, uint8_t *buf)
{
	struct sg s = { gmem_gpa(&d->mem, buf),
			sizeof(struct virtio_scsi_event), true };

	memset(buf, 0xee, s.len);
	return gvq_add(vq, &s, 1, false, buf);
}

static volatile sig_atomic_t post_now;

static void on_usr1(int sig)
{
	(void)sig;
	post_now = 1;
}

/* --until-signal: no end before SIGUSR1, then --seconds after the last
 * of SIGUSR1 and the latest event. */
static int64_t quiet_end(const struct vl_opts *o, int64_t end, int64_t now,
			 bool *signalled, bool event)
{
	if (!o->until_signal)
		return end;
	if (!*signalled) {
		if (!post_now)
			return INT64_MAX;
		*signalled = true;
		return now + (int64_t)(o->seconds * 1e9);
	}
	return event ? now + (int64_t)(o->seconds * 1e9) : end;
}

int run_events(const struct vl_opts *o)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	static struct vdev d;
	struct gvq *vq;
	int64_t start, end, post_at;
	bool posted = false, signalled = false;
	unsigned int n = 0;
	int ret = 0, rc = 1;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		return 1;
	if (vdev_start(&d, o, ev_report))
		goto out;
	vq = &d.vq[1];
	start = now_ns();
	end = start + (int64_t)(o->seconds * 1e9);
	post_at = start + (int64_t)o->late_events_ms * 1000000;
	printf("READY: attached, event buffers %s\n", o->late_events_ms ?
	       "posted later" : "posted");
	fflush(stdout);
	for (;;) {
		int64_t now = now_ns(), until = end;
		uint32_t len;
		void *cookie;

		if (!posted && (now >= post_at || post_now)) {
			if (vdev_post_events(&d)) {
				printf("FAIL: post event buffers\n");
				goto out;
			}
			posted = true;
			end = now + (int64_t)(o->seconds * 1e9);
			printf("POSTED: %u event buffers\n", VL_EVENT_BUFS);
			fflush(stdout);
		}
		until = end = quiet_end(o, end, now, &signalled, false);
		while ((ret = gvq_get_used(vq, &cookie, &len)) > 0) {
			print_event(cookie, len);
			n++;
			end = quiet_end(o, end, now, &signalled, true);
			if (repost(vq, &d, cookie) < 0)
				goto out;
			gvq_kick(vq);
		}
		if (ret < 0 || (posted && now >= end))
			break;
		/* Look at the clock and SIGUSR1 often until they matter no more. */
		if (!posted)
			until = now + 50000000 < post_at ? now + 50000000 : post_at;
		else if (!signalled && o->until_signal)
			until = now + 50000000;
		ret = gvq_wait(vq, until);
		if (ret && ret != -ETIMEDOUT)
			break;
	}
	printf("EVENTS: %u\n", n);
	rc = ret < 0 ? 1 : 0;
out:
	vdev_stop(&d, ev_report);
	return rc;
}
