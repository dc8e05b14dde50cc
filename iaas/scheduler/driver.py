"""FilterScheduler: the scheduler's decision, pure Python (no DB, no bus).

    sched = FilterScheduler()                       # filters/weighers from [scheduler]
    hosts = sched.select_destinations(spec, host_states)   # one HostState per instance

Filters and weighers are plug-ins named in config and found through the
``iaas.scheduler.filters`` / ``iaas.scheduler.weighers`` entry points
(:mod:`iaas.common.plugins`). The manager
builds the ``HostState`` list from the DB and makes the claims atomic there;
this module only decides.

One decision: drop ``spec.ignore_hosts``, run every filter that applies to
the request over the remaining hosts (bulk, one tight loop per filter),
weigh the survivors, take the best (or a random one of the best
``host_subset_size``), consume the flavor on that ``HostState`` and repeat
for the next instance. After a placement only the chosen host is re-filtered
(with the request's server group extended by that host), and
placement-dependent filters (affinity) are re-run over all candidates when
the group changed, so anti-affinity spreads and affinity stacks the
instances of one request. If the request cannot be placed entirely, the ``HostState``
objects are restored and :class:`NoValidHost` says which filter removed how
many hosts.
"""
import dataclasses
import heapq
import logging
import random
import time

from iaas.common import metrics, plugins
from iaas.conf import CONF
from iaas.scheduler import filters as filters_mod
from iaas.scheduler import weighers as weighers_mod
from iaas.scheduler.filters import BaseHostFilter
from iaas.scheduler.host_state import NoValidHost, RequestSpec
from iaas.scheduler.weighers import BaseWeigher

LOG = logging.getLogger(__name__)


UnknownPlugin = plugins.UnknownPlugin


def load_plugins(names, group, base, option):
    """Classes for ``names`` (short names, classes or instances are passed through)."""
    out = []
    for name in names:
        if isinstance(name, base) or (isinstance(name, type) and issubclass(name, base)):
            out.append(name)
            continue
        name = str(name).strip()
        if not name:
            continue
        cls = plugins.load(group, name, f'[scheduler] {option}')
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise TypeError(f'{plugins.GROUPS[group]} {name!r} ({cls!r}) is not a '
                            f'{base.__name__}')
        out.append(cls)
    return out


class FilterScheduler:
    """Filter, weigh, pick; one host per instance of the request.

    ``filters`` / ``weighers``: lists of short names, classes or instances;
    None takes ``[scheduler] enabled_filters`` / ``weighers``. Weighers built
    from a name or class get their multiplier from their ``multiplier_opt``
    (e.g. ``ram_weight_multiplier``). Unknown names raise :class:`UnknownPlugin`
    (a ValueError) here, listing the known ones.
    """

    def __init__(self, filters=None, weighers=None, conf=None, host_subset_size=None):
        conf = CONF if conf is None else conf
        self.conf = conf
        group = conf.scheduler
        if filters is None:
            filters = group.enabled_filters
        if weighers is None:
            weighers = group.weighers
        self.filters = [f if isinstance(f, BaseHostFilter) else f()
                        for f in load_plugins(filters, filters_mod.ENTRY_POINT_GROUP,
                                              BaseHostFilter, 'enabled_filters')]
        self.weighers = [w if isinstance(w, BaseWeigher) else w(self._multiplier(w))
                         for w in load_plugins(weighers, weighers_mod.ENTRY_POINT_GROUP,
                                               BaseWeigher, 'weighers')]
        self.host_subset_size = max(1, int(host_subset_size if host_subset_size is not None
                                           else group.host_subset_size))
        # (host state list, weigher, values) of the quick pick's last weighing
        self._weighed = None

    def _multiplier(self, cls):
        opt = cls.multiplier_opt
        if not opt:
            return 1.0
        try:
            return self.conf.scheduler[opt]
        except Exception:
            return 1.0

    # -- the decision -------------------------------------------------------

    def select_destinations(self, spec, hosts, stale=False):
        """:meth:`place`, counted and timed (iaas_scheduler_* metrics;
        ``stale``: on cached host states, so no host found is not the
        request's outcome yet)."""
        with metrics.scheduling(NoValidHost,
                                'stale' if stale else 'no_valid_host') as chosen:
            chosen += self.place(spec, hosts)
        return chosen

    def place(self, spec, hosts):
        """One ``HostState`` per instance (``spec.num_instances``), in order.

        The chosen ``HostState`` objects have the flavor consumed (and the
        instance uuids added to ``instances``) once per instance placed on
        them; the same object appears several times when instances share a
        host. Raises :class:`NoValidHost` (leaving every ``HostState`` as it
        was) when the request cannot be placed entirely.
        """
        if isinstance(spec, dict):
            spec = RequestSpec.from_dict(spec)
        started = time.perf_counter()
        count = max(1, spec.num_instances or len(spec.instance_uuids) or 1)
        if spec.group:
            # Private copy: placements of this request extend the member hosts.
            group = dict(spec.group)
            group['hosts'] = list(group.get('hosts') or ())
            if group.get('members') is not None:
                group['members'] = list(group['members']) + [
                    u for u in spec.instance_uuids if u not in group['members']]
            spec = dataclasses.replace(spec, group=group)
        active = [f for f in self.filters if f.applies(spec)]
        dependent = [f for f in active if f.placement_dependent]
        weighers = [w for w in self.weighers if w.applies(spec)]

        if count == 1:
            picked = self._quick_pick(spec, hosts, active, weighers)
            if picked is not None:
                idx, host = picked
                host.consume(spec.flavor)
                if spec.instance_uuids:
                    host.instances.add(spec.instance_uuids[0])
                weighed = self._weighed
                if weighed is not None and weighed[0] is hosts:
                    weighed[2][idx] = weighed[1].weigh_object(host, spec)
                return [host]
        self._weighed = None      # the full pass changes states on its own
        candidates, removed = self._filter(spec, hosts, active)
        selected = []
        saved = {}
        try:
            raw = [w.weigh_all(candidates, spec) for w in weighers]
            for i in range(count):
                if not candidates:
                    raise self._no_valid_host(removed, len(hosts), placed=i, wanted=count)
                idx = self._pick(weighers, raw, len(candidates))
                host = candidates[idx]
                if id(host) not in saved:
                    saved[id(host)] = (host, host.vcpus_used, host.memory_mb_used,
                                       host.local_gb_used, host.num_instances,
                                       set(host.instances))
                host.consume(spec.flavor)
                if i < len(spec.instance_uuids):
                    host.instances.add(spec.instance_uuids[i])
                selected.append(host)
                if i == count - 1:
                    break
                group_changed = False
                if spec.group is not None and host.host not in spec.group['hosts']:
                    spec.group['hosts'].append(host.host)
                    group_changed = True
                # The chosen host has less room now (and may be in the group):
                # re-check it alone against every filter.
                if all(f.host_passes(host, spec) for f in active):
                    for w, values in zip(weighers, raw, strict=True):
                        values[idx] = w.weigh_object(host, spec)
                else:
                    del candidates[idx]
                    for values in raw:
                        del values[idx]
                if dependent and group_changed:
                    before = len(candidates)
                    for f in dependent:
                        candidates = f.filter_all(candidates, spec)
                    if len(candidates) != before:
                        raw = [w.weigh_all(candidates, spec) for w in weighers]
        except BaseException:
            self._restore(saved)
            raise
        LOG.debug('Scheduled %d instance(s) over %d hosts in %.1f ms: %s', count, len(hosts),
                  (time.perf_counter() - started) * 1e3, [h.host for h in selected])
        return selected

    def _quick_pick(self, spec, hosts, active, weighers):
        """The host the full pass (filter every host, weigh the survivors,
        take the best) would choose for one instance, found by weighing
        every host and checking only the best one against the filters; None
        when that does not decide (the best host fails a filter or is to be
        ignored, or the weighing is not one weigher's plain ranking): the
        full pass runs. Returns (index, host).

        A weigher whose values depend on each host's state alone
        (``host_only``) weighs a list of host states once: the values are
        kept with the list (the scheduler's cached states) and the chosen
        host's is weighed again after it consumed the flavor; the full pass
        (which changes states itself) drops them.

        Same choice: with one weigher (no fixed bounds) and
        ``host_subset_size`` 1 the full pass takes the first candidate of
        the highest raw value (lowest, with a negative multiplier), or the
        first candidate when all are equal. If the first host of the best
        value over *all* hosts passes, it is a candidate, no candidate has
        a better value, and none of the same value comes before it."""
        if self.host_subset_size != 1 or len(hosts) < 2:
            return None
        weighted = [w for w in weighers if w.multiplier]
        if len(weighted) != 1 or weighted[0].minval is not None \
                or weighted[0].maxval is not None:
            return None
        w = weighted[0]
        weighed = self._weighed
        if w.host_only and weighed is not None and weighed[0] is hosts \
                and weighed[1] is w and len(weighed[2]) == len(hosts):
            values = weighed[2]       # the same states, weighed before
        else:
            values = w.weigh_all(hosts, spec)
            self._weighed = (hosts, w, values) if w.host_only else None
        idx = values.index(max(values) if w.multiplier > 0 else min(values))
        host = hosts[idx]
        if spec.ignore_hosts and host.host in spec.ignore_hosts:
            return None
        for f in active:
            if not f.host_passes(host, spec):
                return None
        return idx, host

    def _filter(self, spec, hosts, active):
        """(candidate list, [(filter name, removed, of)]) after every filter."""
        removed = []
        candidates = list(hosts)
        if spec.ignore_hosts:
            ignore = set(spec.ignore_hosts)
            before = len(candidates)
            candidates = [h for h in candidates if h.host not in ignore]
            if len(candidates) != before:
                removed.append(('already tried', before - len(candidates), before))
        for f in active:
            if not candidates:
                break
            before = len(candidates)
            candidates = f.filter_all(candidates, spec)
            if not isinstance(candidates, list):
                candidates = list(candidates)
            if len(candidates) != before:
                removed.append((f.name, before - len(candidates), before))
        return candidates, removed

    def _pick(self, weighers, raw, n):
        """Index of the chosen candidate (``raw``: one value list per weigher)."""
        if n == 1:
            return 0
        weighted = [(w, values) for w, values in zip(weighers, raw, strict=True)
                    if w.multiplier]
        totals = None
        if len(weighted) == 1 and weighted[0][0].minval is None \
                and weighted[0][0].maxval is None:
            # One weigher: normalising is an increasing (or, with a negative
            # multiplier, decreasing) affine map, so rank the raw values.
            w, values = weighted[0]
            lo, hi = min(values), max(values)
            if lo != hi:
                if self.host_subset_size == 1:
                    return values.index(hi if w.multiplier > 0 else lo)
                totals = values if w.multiplier > 0 else [-v for v in values]
        else:
            # Sum of multiplier * (v - lo) / (hi - lo): the "- lo" terms add the
            # same constant to every host, so they are left out of the ranking.
            scaled = []
            for w, values in weighted:
                lo = min(values) if w.minval is None else w.minval
                hi = max(values) if w.maxval is None else w.maxval
                if lo != hi:          # else all normalise to 0
                    scaled.append((w.multiplier / float(hi - lo), values))
            if len(scaled) == 1:
                a, va = scaled[0]
                totals = [a * x for x in va]
            elif len(scaled) >= 2:
                (a, va), (b, vb) = scaled[:2]
                totals = [a * x + b * y for x, y in zip(va, vb, strict=True)]
                for c, vc in scaled[2:]:
                    totals = [t + c * z for t, z in zip(totals, vc, strict=True)]
        k = self.host_subset_size
        if totals is None:        # every host weighs the same
            return random.randrange(min(k, n)) if k > 1 else 0
        if k == 1:
            return totals.index(max(totals))
        if k >= n:
            return random.randrange(n)
        # Best k by weight (heap select, not a full sort), then one at random.
        return random.choice(heapq.nlargest(k, range(n), key=totals.__getitem__))

    @staticmethod
    def _restore(saved):
        for host, vcpus, ram, disk, num, instances in saved.values():
            host.vcpus_used = vcpus
            host.memory_mb_used = ram
            host.local_gb_used = disk
            host.num_instances = num
            host.instances.clear()
            host.instances.update(instances)

    @staticmethod
    def _no_valid_host(removed, total, placed=0, wanted=1):
        if not total:
            detail = 'There are no compute hosts.'
        else:
            detail = 'There are not enough hosts available.'
            if removed:
                detail += ' Filtering removed: ' + ', '.join(
                    f'{name} {n} of {of}' for name, n, of in removed)
                detail += '.'
            if placed:
                detail += f' Only {placed} of {wanted} instances could be placed.'
        exc = NoValidHost(f'No valid host was found. {detail}')
        exc.removed = list(removed)
        exc.total_hosts = total
        exc.placed = placed
        return exc

