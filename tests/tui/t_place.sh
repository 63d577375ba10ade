#!/usr/bin/env bash
# Where images go: a partition on another drive is mounted by Lifeboat
# under /mnt/lifeboat/<name> (through a loop device at its offset, since
# loop devices here have no partition nodes), a folder is created there,
# the image written into it; a restore from it refuses the disk that holds
# the image; quitting unmounts.  Then a FAT destination warns that the
# image will be split.
. "$(dirname "$0")/tui_lib.sh"

loops_or_skip place || exit 0
have mkfs.ext4 && have mkfs.vfat && have qemu-img || { skip place "needs mkfs.ext4, mkfs.vfat, qemu-img"; exit 0; }
random_disk "$T/s.img" 16
truncate -s 64M "$T/d.img"
printf 'label: dos\nstart=2048, size=126976, type=83\n' | sfdisk -q "$T/d.img" >/dev/null
mkfs.ext4 -q -F -E offset=1048576 "$T/d.img" 63488 >/dev/null 2>&1
D=$(mkloop "$T/d.img") || { skip place "losetup failed"; exit 0; }
d=${D#/dev/}

tui_start "LIFEBOAT_TUI_DEVICES='$T/s.img $D'" || { fail "place: starts" "$(screen)"; exit 0; }
keys b; tui_wait "Back up a disk: which one?"; keys Enter
shown "place: offers the ext4 partition of the other drive" "${d}p1"
check "place: never offers the source disk's partitions" bash -c "! grep -q 's.img' <<<'$(screen | sed -n 5,20p)'"
keys Enter
shown "place: mounted under /mnt/lifeboat" "Folder: /mnt/lifeboat/${d}p1"
shown "place: shows the filesystem and free space" "Filesystem: ext2/3/4"
keys Down Enter; tui_wait "Name of the new folder"
type_text "backups"; keys Enter
shown "place: new folder created and entered" "Folder: /mnt/lifeboat/${d}p1/backups"
keys Up Enter    # back to [ Use this folder ]
tui_wait "File name of the image"; keys C-u; type_text "s.qcow2"; keys Enter
shown "place: backup finished on the mounted partition" "Backup finished: the image is complete." 60
keys Enter; tui_wait "Disks in this machine"

keys r; tui_wait "Where are the images?"; keys Enter
# The browser starts in the folder chosen for the backup (trial 2 F11).
shown "place: the restore starts browsing in the folder chosen last" \
	"Folder: /mnt/lifeboat/${d}p1/backups"
keys Enter
shown "place: restore lists the image on the partition" "s.qcow2"
keys Enter; tui_wait "onto what?"; keys Enter
shown "place: the drive holding the image is refused" "cannot be used: this disk holds the image being restored"
esc; tui_wait "Disks in this machine"
keys q; tui_wait "Leave Lifeboat?"; keys y
shown "place: quit" "LIFEBOAT-EXITED-0"

check "place: quitting unmounts what Lifeboat mounted" bash -c "! grep -q ' /mnt/lifeboat/${d}p1 ' /proc/self/mountinfo"
mkdir "$T/chk"
if mount -o ro,loop,offset=1048576 "$D" "$T/chk" 2>"$T/mount.err"; then
	MOUNTS+=("$T/chk")
	check "place: the image on the partition holds the source" \
		qemu-img compare -f raw -F qcow2 "$T/s.img" "$T/chk/backups/s.qcow2"
	umount "$T/chk"
else
	fail "place: image readable from the partition" "cannot mount it again: $(cat "$T/mount.err")"
fi

# SIGHUP (the serial line hung up) while a partition is mounted: unmounted.
tui_start "LIFEBOAT_TUI_DEVICES='$T/s.img $D'"
keys b; tui_wait "Back up a disk: which one?"; keys Enter
tui_wait "${d}p1"; keys Enter
if tui_wait "Folder: /mnt/lifeboat/${d}p1" 10; then
	kill -HUP "$(pgrep -P "$(tm list-panes -t lb -F '#{pane_pid}')" -x lifeboat)"
	shown "SIGHUP: the screens end" "LIFEBOAT-EXITED-8"
	check "SIGHUP: what Lifeboat mounted is unmounted" bash -c "! grep -q ' /mnt/lifeboat/${d}p1 ' /proc/self/mountinfo"
else
	fail "SIGHUP: mount first" "$(screen)"
fi

# --- FAT: the image will be split --------------------------------------------
truncate -s 64M "$T/fat.img"; mkfs.vfat -F 32 "$T/fat.img" >/dev/null 2>&1
mkdir "$T/fat"
mount -o loop "$T/fat.img" "$T/fat" 2>/dev/null && MOUNTS+=("$T/fat") ||
	{ skip "fat: split warning" "cannot mount vfat here (no vfat in this kernel?)"; exit 0; }
truncate -s 5G "$T/big.img"
tui_start "LIFEBOAT_TUI_DEVICES=$T/big.img LIFEBOAT_IMAGE_DIR=$T/fat"
keys b; tui_wait "Back up a disk: which one?"; keys Enter
tui_wait "Folder $T/fat"; keys Enter; tui_wait "Use this folder"; keys Enter
shown "fat: says the destination is FAT" "Filesystem: FAT (vfat)"
shown "fat: warns the image will be split" "image will be split into numbered pieces"
shown "fat: warns it may not fit" "may not fit"
esc
shown "fat: Esc goes back without writing" "Disks in this machine"
check "fat: nothing written" bash -c "[ -z \"\$(ls -A '$T/fat')\" ]"
