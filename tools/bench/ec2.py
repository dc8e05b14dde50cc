"""Benchmark: the EC2 API against the compute API it is built on, side by
side in one run (fake hypervisor).

    .venv/bin/python tools/bench/ec2.py [--boots 40] [--instances 1000]

Starts iaas-api, iaas-image, iaas-scheduler, iaas-conductor and one
iaas-compute (fake driver, zero spawn delay) as processes over RabbitMQ and
a fresh PostgreSQL database (tests/probe/compute/helpers.py), quotas
unlimited, and signs EC2 requests with boto3 (an EC2 credential of the
admin user). Then:

1. boot latency, alternating: ``POST /servers`` until ACTIVE and
   ``RunInstances`` until running (each from the moment the request is
   sent — for boto3 after it has built and signed it, which is printed
   apart — to the instance's launch time; both clients poll every 10 ms). p50/p99 and
   the ratio EC2 p50 / compute p50 (target <= 1.2).
2. ``--instances`` instances (RunInstances, up to 100 per call), then
   ``DescribeInstances`` of all of them (MaxResults 1000) 20 times — request
   to last byte of the answer (target <= 250 ms), and again with boto3's
   parsing of the 0.9 MB of XML (the client's own cost, shown apart) — beside
   ``GET /servers/detail`` of the same servers. p50/p99.

Prints one JSON line with every figure at the end.
"""
import argparse
import datetime
import json
import os
import pathlib
import shutil
import sys
import tempfile
import time

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import boot  # noqa: E402

from tests.probe.compute.helpers import Rest, start_compute_cloud  # noqa: E402

# the compute benchmark's cloud (fake driver, capacity and quotas unlimited)
# and its helpers, so the two compare on the same terms
SECTIONS, pct, ms, utcnow = boot.BIG, boot.pct, boot.ms, boot.utcnow


def ec2_client(cloud, rest):
    r = requests.post(f'{cloud.auth_url}/auth/tokens', timeout=30, json={'auth': {
        'identity': {'methods': ['password'], 'password': {'user': {
            'name': 'admin', 'domain': {'name': 'Default'},
            'password': cloud.admin_password}}}}})
    uid = r.json()['token']['user']['id']
    r = requests.post(f'{cloud.auth_url}/users/{uid}/credentials/OS-EC2', timeout=30,
                      json={'tenant_id': rest.project_id},
                      headers={'X-Auth-Token': rest.token})
    assert r.status_code == 201, r.text
    cred = r.json()['credential']
    client = boto3.client('ec2', endpoint_url=f'http://127.0.0.1:{cloud.ports["ec2_port"]}',
                        region_name='RegionOne', aws_access_key_id=cred['access'],
                        aws_secret_access_key=cred['secret'],
                        config=botocore.config.Config(retries={'max_attempts': 1},
                                                      max_pool_connections=4))
    client.meta.events.register('before-send.ec2.RunInstances',
                                lambda **kw: SENT.append(utcnow()))
    return client


def raw_describe(cloud, ec2):
    """A DescribeInstances of up to 1,000 signed by botocore and sent with
    requests: the API's answer (body read, not parsed)."""
    url = f'http://127.0.0.1:{cloud.ports["ec2_port"]}/'
    body = 'Action=DescribeInstances&Version=2016-11-15&MaxResults=1000'
    creds = ec2._request_signer._credentials

    def call():
        req = botocore.awsrequest.AWSRequest(method='POST', url=url, data=body, headers={
            'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8'})
        botocore.auth.SigV4Auth(creds, 'ec2', 'RegionOne').add_auth(req)
        r = requests.post(url, data=body, headers=dict(req.headers), timeout=60)
        assert r.status_code == 200, r.text[:300]
        return len(r.content)
    return call


def boot_compute(rest, image, flavor, i):
    t0 = utcnow()
    r = rest.post('/servers', {'server': {'name': f'os-{i}', 'imageRef': image,
                                          'flavorRef': flavor, 'networks': 'none'}})
    assert r.status_code == 202, r.text
    sid = r.json()['server']['id']
    deadline = time.monotonic() + 30
    while True:
        s = rest.get(f'/servers/{sid}').json()['server']
        if s['status'] == 'ACTIVE':
            launched = datetime.datetime.fromisoformat(s['OS-SRV-USG:launched_at'])
            return (launched.replace(tzinfo=None) - t0).total_seconds()
        if s['status'] == 'ERROR' or time.monotonic() > deadline:
            raise RuntimeError(f'server {sid}: {s["status"]}')
        time.sleep(0.01)


SENT = []   # when boto3 sent each RunInstances (after building and signing it)


def boot_ec2(ec2, ami, flavor_name):
    sent = SENT
    sent.clear()
    t0 = utcnow()
    r = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, InstanceType=flavor_name)
    client_prep = (sent[0] - t0).total_seconds()
    t0 = sent[0]
    iid = r['Instances'][0]['InstanceId']
    deadline = time.monotonic() + 30
    while True:
        inst = ec2.describe_instances(InstanceIds=[iid])['Reservations'][0]['Instances'][0]
        if inst['State']['Name'] == 'running':
            launched = inst['LaunchTime'].astimezone(datetime.UTC).replace(tzinfo=None)
            return (launched - t0).total_seconds(), client_prep
        if time.monotonic() > deadline:
            raise RuntimeError(f'{iid}: {inst["State"]["Name"]}')
        time.sleep(0.01)


def timed(fn, rounds=20):
    out = []
    for _ in range(rounds):
        t = time.monotonic()
        fn()
        out.append(time.monotonic() - t)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--boots', type=int, default=40)
    ap.add_argument('--instances', type=int, default=1000)
    ap.add_argument('--keep', action='store_true', help='keep the work dir (logs)')
    args = ap.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix='iaas-bench-ec2-'))
    cc = start_compute_cloud(work, hosts=('bench1',), sections=SECTIONS)
    result = {}
    try:
        rest = Rest(cc.cloud)
        image = rest.upload_image('bench-img')
        flavor = rest.create_flavor('bench.tiny', 64, vcpus=1, disk=1)
        ec2 = ec2_client(cc.cloud, rest)
        ami = next(i['ImageId'] for i in ec2.describe_images(Owners=['self'])['Images']
                   if i.get('Name') == 'bench-img')
        os_t, ec2_t, prep_t = [], [], []
        for i in range(args.boots):
            os_t.append(boot_compute(rest, image, flavor, i))
            took, prep = boot_ec2(ec2, ami, 'bench.tiny')
            ec2_t.append(took)
            prep_t.append(prep)
        result.update(boots=args.boots, compute_p50_ms=ms(pct(os_t, 50)),
                      compute_p99_ms=ms(pct(os_t, 99)), ec2_p50_ms=ms(pct(ec2_t, 50)),
                      ec2_p99_ms=ms(pct(ec2_t, 99)),
                      ec2_vs_compute_p50=round(pct(ec2_t, 50) / pct(os_t, 50), 2),
                      boto3_prep_p50_ms=ms(pct(prep_t, 50)))
        print(f'request -> running over {args.boots} boots each: compute API p50 '
              f'{result["compute_p50_ms"]} ms p99 {result["compute_p99_ms"]} ms; EC2 p50 '
              f'{result["ec2_p50_ms"]} ms p99 {result["ec2_p99_ms"]} ms; ratio '
              f'{result["ec2_vs_compute_p50"]} (target <= 1.2); boto3 took '
              f'{result["boto3_prep_p50_ms"]} ms (p50) to build and sign the request before '
              'sending it (not counted)', flush=True)
        left = args.instances - 2 * args.boots
        while left > 0:
            n = min(100, left)
            ec2.run_instances(ImageId=ami, MinCount=n, MaxCount=n, InstanceType='bench.tiny')
            left -= n
        deadline = time.monotonic() + 300
        while True:
            shown = [i for x in ec2.describe_instances(MaxResults=1000)['Reservations']
                     for i in x['Instances']]
            if all(i['State']['Name'] == 'running' for i in shown) or \
                    time.monotonic() > deadline:
                break
            time.sleep(0.5)
        desc = timed(raw_describe(cc.cloud, ec2))
        parsed = timed(lambda: ec2.describe_instances(MaxResults=1000))
        detail = timed(lambda: rest.get('/servers/detail'))
        result.update(instances=len(shown), describe_p50_ms=ms(pct(desc, 50)),
                      describe_p99_ms=ms(pct(desc, 99)),
                      describe_boto3_p50_ms=ms(pct(parsed, 50)),
                      detail_p50_ms=ms(pct(detail, 50)), detail_p99_ms=ms(pct(detail, 99)))
        print(f'DescribeInstances of {len(shown)} instances (request to last byte): p50 '
              f'{result["describe_p50_ms"]} ms p99 {result["describe_p99_ms"]} ms (target '
              f'250); with boto3 parsing the answer: p50 {result["describe_boto3_p50_ms"]} ms; '
              f'GET /servers/detail of the same: p50 {result["detail_p50_ms"]} ms p99 '
              f'{result["detail_p99_ms"]} ms', flush=True)
    finally:
        cc.stop(check_logs=False)
        if args.keep:
            print(f'work dir (logs): {work}')
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result))


if __name__ == '__main__':
    main()
