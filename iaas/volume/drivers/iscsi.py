"""The ``iscsi`` backend: the file backend's volumes exported by tgt.

Volumes are sparse **raw** files under ``volumes_dir`` (tgt serves a file's
bytes as they are, so no qcow2 here; ``volume_format`` is not an option of
this backend) and every snapshot is a standalone qcow2 copy (see
:mod:`iaas.volume.drivers.file`). Attaching creates the volume's target and
a CHAP account plus ACL entries per attachment (:mod:`iaas.volume.drivers.tgt`);
the target goes with the last detach or the volume.

tgtd is the operator's (``tgtd --iscsi portal=ADDRESS:PORT``, control port
``tgt_control_port``); at start the driver checks it answers and restores
the exports a restarted tgtd forgot.

*Limits:* extending a volume while attached does not resize the LUN the
initiator sees until the next attach (tgt reads the size when the LUN is
made).
"""
from iaas.volume.drivers import file, tgt


class ISCSIDriver(tgt.TgtExports, file.FileDriver):
    protocol = 'iscsi'
    options = [o for o in file.file_opts if o.name != 'volume_format'] + tgt.tgt_opts
    forced_format = 'raw'

    def export_path(self, volume):
        return self.path(volume)

    def check_setup(self):
        super().check_setup()
        self.check_tgt()
        self.restore_exports()

    def delete_volume(self, volume):
        self.remove_export(volume)
        super().delete_volume(volume)
