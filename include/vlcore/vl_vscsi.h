/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vl_vscsi.h - virtio-scsi wire format of the portable core
 *
 * Our own definitions of the virtio-scsi requests and responses (virtio
 * spec 5.6), a byte cursor over popped descriptor chains (any layout: a
 * header may share a buffer with data or be spread over several), and
 * parsing and formatting of the requests of the three kinds of queue.
 *
 * We do not offer VIRTIO_SCSI_F_INOUT (bidirectional commands), and
 * cdb_size and sense_size are fixed at their defaults of 32 and 96, like
 * the in-tree vhost_scsi.  The request header of VIRTIO_SCSI_F_T10_PI is
 * parsed by vl_vscsi_parse_cmd_pi().
 */
#ifndef VL_VSCSI_H
#define VL_VSCSI_H

#include <vlcore/vl_vring.h>

#define VL_VSCSI_CDB_SIZE		32
#define VL_VSCSI_SENSE_SIZE		96

/* VARIABLE LENGTH CDB opcode: its length is 8 + cdb[7] (SPC-4 4.2.3). */
#define VL_VSCSI_VARLEN_CDB		0x7f

/* Feature bits of the device (virtio spec 5.6.3). */
#define VL_VIRTIO_SCSI_F_INOUT		0
#define VL_VIRTIO_SCSI_F_HOTPLUG	1
#define VL_VIRTIO_SCSI_F_CHANGE		2
#define VL_VIRTIO_SCSI_F_T10_PI		3

/* Response codes. */
#define VL_VSCSI_S_OK			0
#define VL_VSCSI_S_FUNCTION_COMPLETE	0
#define VL_VSCSI_S_OVERRUN		1
#define VL_VSCSI_S_ABORTED		2
#define VL_VSCSI_S_BAD_TARGET		3
#define VL_VSCSI_S_RESET		4
#define VL_VSCSI_S_BUSY			5
#define VL_VSCSI_S_TRANSPORT_FAILURE	6
#define VL_VSCSI_S_TARGET_FAILURE	7
#define VL_VSCSI_S_NEXUS_FAILURE	8
#define VL_VSCSI_S_FAILURE		9
#define VL_VSCSI_S_FUNCTION_SUCCEEDED	10
#define VL_VSCSI_S_FUNCTION_REJECTED	11
#define VL_VSCSI_S_INCORRECT_LUN	12

/* Task attributes. */
#define VL_VSCSI_S_SIMPLE		0
#define VL_VSCSI_S_ORDERED		1
#define VL_VSCSI_S_HEAD			2
#define VL_VSCSI_S_ACA			3

/* Control queue request types and TMF subtypes. */
#define VL_VSCSI_T_TMF			0
#define VL_VSCSI_T_AN_QUERY		1
#define VL_VSCSI_T_AN_SUBSCRIBE		2

#define VL_VSCSI_T_TMF_ABORT_TASK		0
#define VL_VSCSI_T_TMF_ABORT_TASK_SET		1
#define VL_VSCSI_T_TMF_CLEAR_ACA		2
#define VL_VSCSI_T_TMF_CLEAR_TASK_SET		3
#define VL_VSCSI_T_TMF_I_T_NEXUS_RESET		4
#define VL_VSCSI_T_TMF_LOGICAL_UNIT_RESET	5
#define VL_VSCSI_T_TMF_QUERY_TASK		6
#define VL_VSCSI_T_TMF_QUERY_TASK_SET		7

/* Asynchronous notification event bits (event_requested/actual). */
#define VL_VSCSI_EVT_ASYNC_OPERATIONAL_CHANGE	2
#define VL_VSCSI_EVT_ASYNC_POWER_MGMT		4
#define VL_VSCSI_EVT_ASYNC_EXTERNAL_REQUEST	8
#define VL_VSCSI_EVT_ASYNC_MEDIA_CHANGE		16
#define VL_VSCSI_EVT_ASYNC_MULTI_HOST		32
#define VL_VSCSI_EVT_ASYNC_DEVICE_BUSY		64

/* Event queue: events, the lost-events flag, reasons. */
#define VL_VSCSI_T_NO_EVENT		0
#define VL_VSCSI_T_TRANSPORT_RESET	1
#define VL_VSCSI_T_ASYNC_NOTIFY		2
#define VL_VSCSI_T_PARAM_CHANGE		3
#define VL_VSCSI_T_EVENTS_MISSED	0x80000000U

#define VL_VSCSI_EVT_RESET_HARD		0
#define VL_VSCSI_EVT_RESET_RESCAN	1
#define VL_VSCSI_EVT_RESET_REMOVED	2

/**
 * struct vl_vscsi_cmd_req - request queue command header (device-readable)
 * @lun: LUN address, see vl_vscsi_lun_decode()
 * @id: command tag
 * @task_attr: VL_VSCSI_S_SIMPLE etc.
 * @prio: SAM command priority
 * @crn: command reference number
 * @cdb: the CDB, padded
 */
struct vl_vscsi_cmd_req {
	u8 lun[8];
	vl_le64 id;
	u8 task_attr;
	u8 prio;
	u8 crn;
	u8 cdb[VL_VSCSI_CDB_SIZE];
} __packed;

/**
 * struct vl_vscsi_cmd_req_pi - command header with VIRTIO_SCSI_F_T10_PI
 * @lun: LUN address, see vl_vscsi_lun_decode()
 * @id: command tag
 * @task_attr: VL_VSCSI_S_SIMPLE etc.
 * @prio: SAM command priority
 * @crn: command reference number
 * @pi_bytesout: bytes of protection information at the start of data-out
 * @pi_bytesin: bytes of protection information at the start of data-in
 * @cdb: the CDB, padded
 *
 * The fields up to @crn are those of struct vl_vscsi_cmd_req, at the same
 * offsets; the two counts come before the CDB, as Linux's virtio_scsi and
 * vhost_scsi lay them out.
 */
struct vl_vscsi_cmd_req_pi {
	u8 lun[8];
	vl_le64 id;
	u8 task_attr;
	u8 prio;
	u8 crn;
	vl_le32 pi_bytesout;
	vl_le32 pi_bytesin;
	u8 cdb[VL_VSCSI_CDB_SIZE];
} __packed;

/**
 * struct vl_vscsi_cmd_resp - request queue response (device-writable)
 * @sense_len: bytes of @sense that are valid
 * @resid: residual byte count of the data transfer
 * @status_qualifier: SAM status qualifier
 * @status: SCSI status byte
 * @response: VL_VSCSI_S_*
 * @sense: sense data
 */
struct vl_vscsi_cmd_resp {
	vl_le32 sense_len;
	vl_le32 resid;
	vl_le16 status_qualifier;
	u8 status;
	u8 response;
	u8 sense[VL_VSCSI_SENSE_SIZE];
} __packed;

/**
 * struct vl_vscsi_tmf_req - control queue task management request
 * @type: VL_VSCSI_T_TMF
 * @subtype: VL_VSCSI_T_TMF_*
 * @lun: LUN address
 * @id: tag of the command concerned, for ABORT_TASK and QUERY_TASK
 */
struct vl_vscsi_tmf_req {
	vl_le32 type;
	vl_le32 subtype;
	u8 lun[8];
	vl_le64 id;
} __packed;

/**
 * struct vl_vscsi_tmf_resp - control queue task management response
 * @response: VL_VSCSI_S_FUNCTION_* or another response code
 */
struct vl_vscsi_tmf_resp {
	u8 response;
} __packed;

/**
 * struct vl_vscsi_an_req - asynchronous notification query or subscribe
 * @type: VL_VSCSI_T_AN_QUERY or VL_VSCSI_T_AN_SUBSCRIBE
 * @lun: LUN address
 * @event_requested: VL_VSCSI_EVT_ASYNC_* bits the guest is interested in
 */
struct vl_vscsi_an_req {
	vl_le32 type;
	u8 lun[8];
	vl_le32 event_requested;
} __packed;

/**
 * struct vl_vscsi_an_resp - asynchronous notification response
 * @event_actual: the VL_VSCSI_EVT_ASYNC_* bits the device supports
 * @response: a response code
 */
struct vl_vscsi_an_resp {
	vl_le32 event_actual;
	u8 response;
} __packed;

/**
 * struct vl_vscsi_event - an event queue entry (device-writable)
 * @event: VL_VSCSI_T_*, possibly with VL_VSCSI_T_EVENTS_MISSED
 * @lun: LUN address the event is about
 * @reason: event-specific reason
 */
struct vl_vscsi_event {
	vl_le32 event;
	u8 lun[8];
	vl_le32 reason;
} __packed;

_Static_assert(sizeof(struct vl_vscsi_cmd_req) == 51, "cmd_req size");
_Static_assert(sizeof(struct vl_vscsi_cmd_req_pi) == 59, "cmd_req_pi size");
_Static_assert(offsetof(struct vl_vscsi_cmd_req_pi, crn) ==
	       offsetof(struct vl_vscsi_cmd_req, crn), "cmd_req_pi common fields");
_Static_assert(sizeof(struct vl_vscsi_cmd_resp) == 108, "cmd_resp size");
_Static_assert(sizeof(struct vl_vscsi_tmf_req) == 24, "tmf_req size");
_Static_assert(sizeof(struct vl_vscsi_tmf_resp) == 1, "tmf_resp size");
_Static_assert(sizeof(struct vl_vscsi_an_req) == 16, "an_req size");
_Static_assert(sizeof(struct vl_vscsi_an_resp) == 5, "an_resp size");
_Static_assert(sizeof(struct vl_vscsi_event) == 16, "event size");

/**
 * struct vl_chain_pos - a byte position in one direction of a chain
 * @seg: index in the chain's @segs of the segment holding the byte
 * @end: one past the last segment of that direction
 * @off: offset of the byte in segment @seg
 *
 * @seg == @end is the position just past the last byte.
 */
struct vl_chain_pos {
	u16 seg;
	u16 end;
	u32 off;
};

int vl_chain_seek(const struct vl_chain *c, bool writable, u32 skip,
		  struct vl_chain_pos *pos);
bool vl_chain_next_seg(const struct vl_chain *c, struct vl_chain_pos *pos,
		       struct vl_seg *seg);
bool vl_chain_next_part(const struct vl_chain *c, struct vl_chain_pos *pos,
			u32 *left, struct vl_seg *seg);
int vl_chain_data_segs(const struct vl_chain *c, bool writable, u32 skip,
		       struct vl_seg *out, u16 max, u16 *nr);
int vl_chain_read(const struct vl_chain *c, const struct vl_mem *m, u32 off,
		  void *dst, u32 len);
int vl_chain_write(const struct vl_chain *c, const struct vl_mem *m, u32 off,
		   const void *src, u32 len);

/* vl_vscsi_lun_decode() result for the REPORT LUNS well-known LUN. */
#define VL_VSCSI_LUN_REPORT_LUNS	1

int vl_vscsi_lun_decode(const u8 *lun, u8 *target, u16 *lun_id);
void vl_vscsi_lun_encode(u8 *lun, u8 target, u16 lun_id);

/**
 * enum vl_vscsi_dir - data direction of a command, from the guest's view
 * @VL_VSCSI_DIR_NONE: no data
 * @VL_VSCSI_DIR_TO_DEV: data-out: device-readable bytes after the header
 * @VL_VSCSI_DIR_FROM_DEV: data-in: device-writable bytes after the response
 */
enum vl_vscsi_dir {
	VL_VSCSI_DIR_NONE,
	VL_VSCSI_DIR_TO_DEV,
	VL_VSCSI_DIR_FROM_DEV,
};

/**
 * struct vl_vscsi_req - a parsed request queue command
 * @tag: the command's id
 * @lun_raw: the LUN address as the guest sent it
 * @target: target (lun[1])
 * @lun: LUN number, 0 to 16383
 * @report_luns: addressed to the REPORT LUNS well-known LUN
 * @task_attr: task attribute, unchecked (devices may treat all as SIMPLE)
 * @prio: priority
 * @crn: command reference number
 * @cdb: the CDB
 * @dir: data direction
 * @data_len: bytes of data in @dir, 0 for VL_VSCSI_DIR_NONE; with T10 PI
 *	the bytes after the protection information
 * @data: position of the first data byte; walk the data buffers from it
 *	with vl_chain_next_seg()
 * @pi_bytesout: T10 PI only: pi_bytesout as the guest sent it (0 without)
 * @pi_bytesin: T10 PI only: pi_bytesin as the guest sent it (0 without)
 * @prot_len: bytes of protection information in @dir: @pi_bytesout or
 *	@pi_bytesin, checked; 0 without T10 PI
 * @prot: position of the first protection byte, the start of the data
 *	buffers of @dir; walk @prot_len bytes from it with
 *	vl_chain_next_part(), as the data buffer that follows may share the
 *	last segment
 */
struct vl_vscsi_req {
	u64 tag;
	u8 lun_raw[8];
	u8 target;
	u16 lun;
	bool report_luns;
	u8 task_attr;
	u8 prio;
	u8 crn;
	u8 cdb[VL_VSCSI_CDB_SIZE];
	enum vl_vscsi_dir dir;
	u32 data_len;
	struct vl_chain_pos data;
	u32 pi_bytesout;
	u32 pi_bytesin;
	u32 prot_len;
	struct vl_chain_pos prot;
};

u32 vl_vscsi_cdb_size(const u8 *cdb);
bool vl_vscsi_cdb_is_rw(const u8 *cdb);
int vl_vscsi_sense_key(const u8 *sense, u32 len);
int vl_vscsi_sense_asc(const u8 *sense, u32 len);

/* ASC of the logical block guard, application and reference tag checks. */
#define VL_VSCSI_ASC_PI_CHECK		0x10
int vl_vscsi_parse_cmd(const struct vl_chain *c, const struct vl_mem *m,
		       struct vl_vscsi_req *req);
int vl_vscsi_parse_cmd_pi(const struct vl_chain *c, const struct vl_mem *m,
			  bool t10_pi, struct vl_vscsi_req *req);
void vl_vscsi_fill_cmd_resp(struct vl_vscsi_cmd_resp *resp, u8 response,
			    u8 status, const void *sense, u32 sense_len,
			    u32 resid);
int vl_vscsi_put_cmd_resp(const struct vl_chain *c, const struct vl_mem *m,
			  const struct vl_vscsi_cmd_resp *resp);

/**
 * vl_vscsi_cmd_used_len() - used ring length of a completed command
 * @data_in: bytes of data-in written after the response
 *
 * Return: the response header plus @data_in.
 */
static inline u32 vl_vscsi_cmd_used_len(u32 data_in)
{
	return (u32)sizeof(struct vl_vscsi_cmd_resp) + data_in;
}

/**
 * struct vl_vscsi_ctrl - a parsed control queue request
 * @type: VL_VSCSI_T_TMF, VL_VSCSI_T_AN_QUERY or VL_VSCSI_T_AN_SUBSCRIBE
 * @subtype: TMF only: VL_VSCSI_T_TMF_*, unchecked
 * @tag: TMF only: id of the command concerned
 * @event_requested: AN only: the events asked for
 * @lun_raw: the LUN address as the guest sent it
 * @target: target (lun[1])
 * @lun: LUN number
 * @report_luns: addressed to the REPORT LUNS well-known LUN
 */
struct vl_vscsi_ctrl {
	u32 type;
	u32 subtype;
	u64 tag;
	u32 event_requested;
	u8 lun_raw[8];
	u8 target;
	u16 lun;
	bool report_luns;
};

int vl_vscsi_parse_ctrl(const struct vl_chain *c, const struct vl_mem *m,
			struct vl_vscsi_ctrl *ctrl);
int vl_vscsi_put_tmf_resp(const struct vl_chain *c, const struct vl_mem *m,
			  u8 response);
int vl_vscsi_put_an_resp(const struct vl_chain *c, const struct vl_mem *m,
			 u32 event_actual, u8 response);
int vl_vscsi_put_event(const struct vl_chain *c, const struct vl_mem *m,
		       u32 event, const u8 *lun, u32 reason);

#endif /* VL_VSCSI_H */
