#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Module parameters rename the fabric and the device, so vhost_lio loads
# beside the in-tree vhost_scsi (for differential tests); bad names refused.
. "$VL_REPO/tests/vm/lib.sh"

check "load target_core_mod" modprobe target_core_mod
check "load in-tree vhost_scsi" modprobe vhost_scsi
refuse "fabric_name with a slash" "Invalid argument" vl_load fabric_name=a/b
refuse "empty devname" "Invalid argument" vl_load devname=
check "load vhost_lio as fabric vlio, /dev/vhost-lio" vl_load fabric_name=vlio devname=vhost-lio
check "/dev/vhost-lio exists" test -c /dev/vhost-lio
check "/dev/vhost-scsi is still the in-tree one" test -c /dev/vhost-scsi
check "both fabric directories" mkdir $CFS/vlio $CFS/vhost
check "a WWPN in each" mkdir $CFS/vlio/naa.5001405000000011 $CFS/vhost/naa.5001405000000012
check "ours answers version" grep -q vhost-lio $CFS/vlio/version
check "the in-tree one answers its own version" sh -c "! grep -q vhost-lio $CFS/vhost/version"
check "remove both" rmdir $CFS/vlio/naa.5001405000000011 $CFS/vhost/naa.5001405000000012 $CFS/vlio $CFS/vhost
check "rmmod vhost_lio" rmmod vhost_lio
refuse "default names while vhost_scsi is loaded" "exists\|busy" vl_load
check "vhost_scsi's fabric still works" sh -c "mkdir $CFS/vhost && rmdir $CFS/vhost"
check "rmmod vhost_scsi" rmmod vhost_scsi
check "LIO core unloads" lio_unload
