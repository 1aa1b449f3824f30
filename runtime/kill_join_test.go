package runtime

import (
	"errors"
	"testing"
	"time"
)

// kill T: T unwinds (its wait withdrawn, its timer cancelled) before the killer continues.
func TestKillWaitUnwindsVictimFirst(t *testing.T) {
	e := newEnv(t)
	var victim *Tasklet
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) {
			victim = t.Spawn(steps("V",
				func(t *Tasklet) bool { return t.Sleep(time.Hour) },
				do(func(t *Tasklet) { e.log("v:unwinds:%v", t.Err()) }),
				(*Tasklet).Yield,
				do(func(t *Tasklet) { e.log("v:after-yield") }),
			), Options{})
			t.Spawn(steps("X", do(func(*Tasklet) { e.log("x") })), Options{})
		}),
		(*Tasklet).Yield, // V parks in Sleep, X runs
		func(t *Tasklet) bool { return t.KillWait(victim) },
		do(func(t *Tasklet) {
			e.log("main:after-kill:%v", t.Err())
			if e.d.timers.len() != 0 {
				e.log("timer not cancelled")
			}
		}),
	), Options{})
	e.run(0)
	e.wantTrace("x", "v:unwinds:tskrt: tasklet killed", "main:after-kill:<nil>", "v:after-yield")
	if e.elapsed() != 0 {
		t.Fatalf("elapsed %v: the sleep's timer fired", e.elapsed())
	}
}

func TestKillNeverRunTaskletSkipsBody(t *testing.T) {
	e := newEnv(t)
	e.d.Spawn(steps("Main",
		func(t *Tasklet) bool {
			c := t.Spawn(steps("C", do(func(*Tasklet) { e.log("c:body") })), Options{})
			t.value = c
			if !t.KillWait(c) {
				e.log("kill suspended")
			}
			return t.Join(c, NoTimeout)
		},
		do(func(t *Tasklet) {
			var je *JoinError
			e.log("join:%v:%v", errors.As(t.Err(), &je), errors.Is(t.Err(), ErrKilled))
			if len(t.Children()) != 0 {
				e.log("child still listed")
			}
		}),
	), Options{})
	e.run(0)
	e.wantTrace("join:true:true")
}

func TestKillFinishedIsNoOp(t *testing.T) {
	e := newEnv(t)
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) { t.value = t.Spawn(&script{name: "C", ret: 5}, Options{}) }),
		func(t *Tasklet) bool { c := t.Value().(*Tasklet); return t.Join(c, NoTimeout) },
		do(func(t *Tasklet) { e.log("joined:%v", t.Value()) }),
	), Options{})
	e.run(0)
	e.wantTrace("joined:5")
}

func TestKillRunnableFailsNextOperation(t *testing.T) {
	e := newEnv(t)
	var victim *Tasklet
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) {
			victim = t.Spawn(steps("V",
				(*Tasklet).Yield,
				do(func(t *Tasklet) { e.log("v:yield:%v", t.Err()) }),
				func(t *Tasklet) bool { return t.Sleep(time.Second) },
				do(func(t *Tasklet) { e.log("v:sleep:%v", t.Err()) }),
			), Options{})
		}),
		(*Tasklet).Yield, // V runs and yields: it is runnable behind Main
		do(func(t *Tasklet) { victim.Kill(); e.log("main:killed") }),
		func(t *Tasklet) bool { return t.Join(victim, NoTimeout) },
		do(func(t *Tasklet) { e.log("main:join:%v", t.Err()) }),
	), Options{})
	e.run(0)
	e.wantTrace("main:killed", "v:yield:<nil>", "v:sleep:tskrt: tasklet killed", "main:join:<nil>")
}

// A killed tasklet may take ErrKilled and go on (as Python code may catch TaskletExit).
func TestKilledTaskletMayGoOn(t *testing.T) {
	e := newEnv(t)
	ch := NewChannel[int]()
	var v int
	var victim *Tasklet
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) {
			victim = t.Spawn(steps("V",
				func(t *Tasklet) bool { return ch.Recv(t, &v, NoTimeout) },
				do(func(t *Tasklet) { e.log("v:%v", t.Err()) }),
				func(t *Tasklet) bool { return ch.Recv(t, &v, NoTimeout) },
				do(func(t *Tasklet) { e.log("v:%d", v) }),
			), Options{})
		}),
		(*Tasklet).Yield,
		func(t *Tasklet) bool { return t.KillWait(victim) },
		func(t *Tasklet) bool { return ch.Send(t, 9, NoTimeout) },
	), Options{})
	e.run(0)
	e.wantTrace("v:tskrt: tasklet killed", "v:9")
}

func TestKillSelf(t *testing.T) {
	e := newEnv(t)
	p := e.d.Spawn(steps("Main",
		func(t *Tasklet) bool { return t.KillWait(t) },
		do(func(t *Tasklet) { e.log("%v", t.Err()) }),
	), Options{})
	e.run(0)
	e.wantTrace("tskrt: tasklet killed")
	if p.HasFinished() != true {
		t.Fatal("not finished")
	}
}

func TestJoinResultFailureAndManyJoiners(t *testing.T) {
	e := newEnv(t)
	boom := errors.New("boom")
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) {
			ok := t.Spawn(steps("Ok", func(t *Tasklet) bool { return t.Sleep(time.Second) },
				do(func(*Tasklet) {})), Options{})
			ok.frame.(*script).ret = "result"
			bad := t.Spawn(&script{name: "Bad", err: boom}, Options{})
			for i := range 3 {
				t.Spawn(steps("J",
					func(t *Tasklet) bool { return t.Join(ok, NoTimeout) },
					do(func(t *Tasklet) { e.logAt("j%d:%v", i, t.Value()) })), Options{})
			}
			t.Spawn(steps("JB",
				func(t *Tasklet) bool { return t.Join(bad, NoTimeout) },
				do(func(t *Tasklet) {
					var je *JoinError
					e.logAt("jb:%v:%v", errors.As(t.Err(), &je) && je.Tasklet == bad, errors.Is(t.Err(), boom))
				})), Options{})
		}),
	), Options{})
	e.run(0)
	e.wantTrace("jb:true:true@0s", "j0:result@1s", "j1:result@1s", "j2:result@1s")
}

func TestJoinTimeout(t *testing.T) {
	e := newEnv(t)
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) {
			t.value = t.Spawn(steps("C", func(t *Tasklet) bool { return t.Sleep(10 * time.Second) }), Options{})
		}),
		func(t *Tasklet) bool {
			c := t.Value().(*Tasklet)
			return t.Join(c, time.Second)
		},
		do(func(t *Tasklet) { e.logAt("%v", t.Err()) }),
	), Options{})
	e.run(0)
	e.wantTrace("tskrt: timeout@1s")
	if e.elapsed() != 10*time.Second {
		t.Fatalf("elapsed %v", e.elapsed())
	}
}

func TestJoinAllOrderAndFailedSlots(t *testing.T) {
	e := newEnv(t)
	var res []any
	e.d.Spawn(steps("Main",
		func(t *Tasklet) bool {
			var ts []*Tasklet
			for i, d := range []time.Duration{3, 1, 2, 0} {
				s := steps("C", func(t *Tasklet) bool { return t.Sleep(d * time.Second) })
				if i%2 == 0 {
					s.err = errors.New("exc")
				} else {
					s.ret = i
				}
				ts = append(ts, t.Spawn(s, Options{}))
			}
			return t.JoinAll(ts, NoTimeout)
		},
		do(func(t *Tasklet) { res = t.Value().([]any); e.logAt("done:%v", t.Err()) }),
	), Options{})
	e.run(0)
	e.wantTrace("done:<nil>@3s")
	if len(res) != 4 || res[1] != 1 || res[3] != 3 {
		t.Fatalf("results %v", res)
	}
	for _, i := range []int{0, 2} {
		if je, ok := res[i].(*JoinError); !ok || je.Cause.Error() != "exc" {
			t.Fatalf("slot %d = %v", i, res[i])
		}
	}
}

func TestChildrenAndTree(t *testing.T) {
	e := newEnv(t)
	var levels []string
	var root *Tasklet
	var build func(name string, level int) Frame
	build = func(name string, level int) Frame {
		return steps(name,
			do(func(t *Tasklet) {
				if level < 2 {
					for j := range 2 {
						n := name + string(rune('0'+j))
						t.Spawn(build(n, level+1), Options{Name: n})
					}
				}
			}),
			func(t *Tasklet) bool { return t.Sleep(2 * time.Second) })
	}
	root = e.d.Spawn(steps("Main",
		do(func(t *Tasklet) {
			t.Spawn(build("child", 0), Options{Name: "child"})
			t.Spawn(steps("daemon", func(t *Tasklet) bool { return t.Sleep(time.Second) }), Options{Daemon: true})
		}),
		func(t *Tasklet) bool { return t.Sleep(time.Second) },
		do(func(t *Tasklet) {
			for c, l := range t.Tree() {
				levels = append(levels, c.Name()+":"+string(rune('0'+l)))
			}
		}),
	), Options{})
	e.run(0)
	want := "Main:0 child:1 child0:2 child00:3 child01:3 child1:2 child10:3 child11:3"
	if got := joinStrings(levels); got != want {
		t.Fatalf("tree:\n got %s\nwant %s", got, want)
	}
	if root.Parent() != nil {
		t.Fatal("root has a parent")
	}
}

func joinStrings(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}

func TestDeadlines(t *testing.T) {
	e := newEnv(t)
	ch := NewChannel[int]()
	var v int
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) { t.PushDeadline(2 * time.Second) }),
		func(t *Tasklet) bool { return ch.Recv(t, &v, NoTimeout) },
		do(func(t *Tasklet) { e.logAt("a:%v:%v", t.Err(), t.DeadlineExpired()) }),
		do(func(t *Tasklet) { t.PopDeadline(); t.PushDeadline(3 * time.Second); t.PushDeadline(time.Hour) }),
		func(t *Tasklet) bool { return ch.Recv(t, &v, NoTimeout) },
		do(func(t *Tasklet) { e.logAt("b:%v:%v", t.Err(), t.DeadlineExpired()) }),
		func(t *Tasklet) bool { return t.Sleep(10 * time.Second) }, // the outer deadline passed: poll
		do(func(t *Tasklet) { e.logAt("c:%v:%v", t.Err(), t.DeadlineExpired()); t.PopDeadline(); t.PopDeadline() }),
		do(func(t *Tasklet) { t.PushDeadline(time.Hour) }),
		func(t *Tasklet) bool { return ch.Recv(t, &v, time.Second) },
		do(func(t *Tasklet) { e.logAt("d:%v:%v", t.Err(), t.DeadlineExpired()); t.PopDeadline() }),
		func(t *Tasklet) bool { return t.Sleep(time.Second) },
		do(func(t *Tasklet) { e.logAt("e:%v", t.Err()) }),
	), Options{})
	e.run(0)
	e.wantTrace("a:tskrt: timeout:true@2s", "b:tskrt: timeout:true@5s", "c:tskrt: timeout:true@5s",
		"d:tskrt: timeout:false@6s", "e:<nil>@7s")
}
