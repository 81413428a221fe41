"""Random valid processes with every element kind (error event subprocesses too), for property
tests of BPMN files."""

from hypothesis import strategies as st

from eventlab.engines.workflow.definition import (
    Process,
    boundary,
    catch,
    end,
    error_boundary,
    error_start,
    event_based,
    event_subprocess,
    exclusive,
    parallel,
    receive,
    send,
    service,
    start,
    subprocess,
    throw,
    timer,
    user,
)

text = st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")),
               min_size=0, max_size=12)
words = st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "S")), min_size=1,
                max_size=10).filter(lambda s: not s.startswith("="))
hours = st.floats(0.01, 5000.0, allow_nan=False)
values = st.one_of(st.booleans(), st.integers(-10**6, 10**6), st.none(), text,
                   st.floats(-1e6, 1e6, allow_nan=False))
paths = st.sampled_from(["=orderId", "=order.id", "=a.b.c", "=x"])


class _Builder:
    def __init__(self, draw):
        self.draw, self.n = draw, 0
        self.elements, self.flows = [], []

    def new(self, prefix):
        self.n += 1
        return f"{prefix}{self.n}"

    def chain(self, parent, depth):
        """(first, last) of 1..3 blocks in a row."""
        first, last = self.block(parent, depth)
        for _ in range(self.draw(st.integers(0, 2))):
            a, b = self.block(parent, depth)
            self.flows.append((last, a))
            last = b
        return first, last

    def ending(self, parent, inside):
        kind = self.draw(st.sampled_from(["none", "message", "terminate", "compensate",
                                          "job", "error" if inside else "none"]))
        e = self.new("end")
        name = self.draw(text)
        made = {"none": lambda: end(e, name, parent=parent),
                "message": lambda: end(e, name, message=self.draw(words), parent=parent),
                "terminate": lambda: end(e, name, terminate=True, parent=parent),
                "compensate": lambda: end(e, name, compensate=True,
                                          terminate=self.draw(st.booleans()), parent=parent),
                "job": lambda: end(e, name, job=self.draw(words), parent=parent),
                "error": lambda: end(e, name, error=self.draw(words), parent=parent)}[kind]()
        self.elements.append(made)
        return e

    def boundaries(self, host, parent):
        for _ in range(self.draw(st.integers(0, 2))):
            b = self.new("b")
            kind = self.draw(st.sampled_from(["timer", "lazy", "error"]))
            if kind == "timer":
                self.elements.append(boundary(b, self.draw(text), attached_to=host,
                                              hours=self.draw(hours), parent=parent))
            elif kind == "lazy":
                self.elements.append(boundary(
                    b, self.draw(text), attached_to=host, hours=self.draw(hours),
                    interrupting=False, repeat=self.draw(st.none() | st.integers(1, 9)),
                    parent=parent))
            else:
                self.elements.append(error_boundary(b, self.draw(text), attached_to=host,
                                                    error=self.draw(st.none() | words),
                                                    parent=parent))
            self.flows.append((b, self.ending(parent, parent is not None)))

    def block(self, parent, depth):
        kinds = ["task", "task", "exclusive", "parallel", "events"]
        if depth < 2:
            kinds.append("subprocess")
        kind = self.draw(st.sampled_from(kinds))
        if kind == "task":
            return self.task(parent)
        if kind == "subprocess":
            s = self.new("sub")
            self.elements.append(subprocess(s, self.draw(text), parent=parent))
            inner = self.new("start")
            self.elements.append(start(inner, self.draw(text), parent=s))
            a, b = self.chain(s, depth + 1)
            self.flows += [(inner, a), (b, self.ending(s, True))]
            self.event_subprocesses(s, 1)
            self.boundaries(s, parent)
            return s, s
        split, join = self.new("split"), self.new("join")
        if kind == "parallel":
            self.elements += [parallel(split, self.draw(text), parent=parent),
                              parallel(join, parent=parent)]
            branches = self.draw(st.integers(2, 3))
            for _ in range(branches):
                a, b = self.chain(parent, depth + 1)
                self.flows += [(split, a), (b, join)]
            return split, join
        if kind == "events":
            self.elements += [event_based(split, self.draw(text), parent=parent),
                              exclusive(join, parent=parent)]
            for i in range(self.draw(st.integers(2, 3))):
                c = self.new("wait")
                if i and self.draw(st.booleans()):
                    self.elements.append(timer(c, self.draw(text), hours=self.draw(hours),
                                               parent=parent))
                else:
                    self.elements.append(catch(c, self.draw(text), message=self.draw(words),
                                               correlation_key=self.draw(st.none() | paths),
                                               parent=parent))
                self.flows += [(split, c), (c, join)]
            return split, join
        self.elements += [exclusive(split, self.draw(text), parent=parent),
                          exclusive(join, parent=parent)]
        branches = self.draw(st.integers(1, 3))
        for i in range(branches):
            a, b = self.chain(parent, depth + 1)
            if i == branches - 1 and self.draw(st.booleans()):
                self.flows.append((split, a))
            else:
                self.flows.append((split, a, (self.draw(st.sampled_from(["vip", "ok", "n"])),
                                              self.draw(values))))
            self.flows.append((b, join))
        return split, join

    def event_subprocesses(self, parent, most):
        """Up to `most` error event subprocesses of scope `parent`, each catching its own
        code, each a start, at most a service task, and an end: kept small, the processes
        around them are large already (hypothesis limits the data a test case draws)."""
        codes = set()
        for _ in range(self.draw(st.integers(0, most))):
            code = self.draw(st.sampled_from([None, "X", "CARD_DECLINED", "Ü-1"]))
            if code in codes:  # one event subprocess per code and scope
                continue
            codes.add(code)
            sub, first, last = self.new("esp"), self.new("es"), self.new("end")
            self.elements += [event_subprocess(sub, self.draw(text), parent=parent),
                              error_start(first, error=code, parent=sub),
                              end(last, parent=sub)]
            if self.draw(st.booleans()):
                t = self.new("t")
                self.elements.append(service(t, job="fix", parent=sub))
                self.flows += [(first, t), (t, last)]
            else:
                self.flows.append((first, last))

    def task(self, parent):
        t = self.new("t")
        name = self.draw(text)
        undo = self.draw(st.none() | words)
        kind = self.draw(st.sampled_from(["service", "user", "send", "receive", "throw",
                                          "compensate", "timer", "catch"]))
        io = self.draw(st.lists(st.tuples(paths, st.sampled_from(["a", "b", "total"])),
                                max_size=2).map(tuple))
        made = {
            "service": lambda: service(t, name, job=self.draw(words), compensation=undo,
                                       retries=self.draw(st.integers(1, 100)), inputs=io,
                                       outputs=io, parent=parent),
            "user": lambda: user(t, name, compensation=undo, inputs=io, parent=parent),
            "send": lambda: send(t, name, message=self.draw(st.none() | words) or "M",
                                 job=self.draw(st.none() | words), compensation=undo,
                                 parent=parent),
            "receive": lambda: receive(t, name, message=self.draw(words), compensation=undo,
                                       correlation_key=self.draw(st.none() | paths),
                                       outputs=io, parent=parent),
            "throw": lambda: throw(t, name, message=self.draw(words), parent=parent),
            "compensate": lambda: throw(t, name, compensate=True, parent=parent),
            "timer": lambda: timer(t, name, hours=self.draw(hours), parent=parent),
            "catch": lambda: catch(t, name, message=self.draw(words), parent=parent),
        }[kind]()
        self.elements.append(made)
        if kind in ("service", "user", "send", "receive"):
            self.boundaries(t, parent)
        return t, t


@st.composite
def random_processes(draw):
    b = _Builder(draw)
    how = draw(st.sampled_from(["none", "message", "timer"]))
    first = {"none": start("s0", draw(text)),
             "message": start("s0", draw(text), message=draw(words)),
             "timer": start("s0", draw(text), hours=draw(hours),
                            repeat=draw(st.none() | st.integers(1, 20)))}[how]
    b.elements.append(first)
    a, last = b.chain(None, 0)
    b.flows += [("s0", a), (last, b.ending(None, False))]
    b.event_subprocesses(None, 2)
    return Process(draw(st.sampled_from(["p", "order", "Process_1"])), draw(words),
                   b.elements, b.flows)


