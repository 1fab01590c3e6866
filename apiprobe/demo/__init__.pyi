# The public surface of `apiprobe.demo`, written once: one line per name, re-exported from the
# module that defines it. __init__.py reads this file to load each module lazily on first use
# (PEP 562), and type checkers read it as the package's stub. Pinned by
# tests/snapshots/public_api/apiprobe.demo.txt.

from apiprobe.demo._goroutines import demo_dump_pair as demo_dump_pair
from apiprobe.demo._goroutines import demo_goroutine_dump as demo_goroutine_dump
from apiprobe.demo._goroutines import write_demo_dumps as write_demo_dumps
from apiprobe.demo._gotrace import demo_go_trace as demo_go_trace
from apiprobe.demo._gotrace import write_demo_go_trace as write_demo_go_trace
from apiprobe.demo._incident import demo_incident_files as demo_incident_files
from apiprobe.demo._incident import write_demo_incident as write_demo_incident
from apiprobe.demo._incident_story import BASELINE as BASELINE
from apiprobe.demo._incident_story import DEMO_HAR_FILE as DEMO_HAR_FILE
from apiprobe.demo._incident_story import DEMO_LOG_FILES as DEMO_LOG_FILES
from apiprobe.demo._incident_story import DEMO_SERVICES as DEMO_SERVICES
from apiprobe.demo._incident_story import DEMO_TIMELINE as DEMO_TIMELINE
from apiprobe.demo._incident_story import DEMO_TRACE_FILES as DEMO_TRACE_FILES
from apiprobe.demo._incident_story import GATEWAY_TIMEOUT_S as GATEWAY_TIMEOUT_S
from apiprobe.demo._incident_story import HAR_CLIENT_IP as HAR_CLIENT_IP
from apiprobe.demo._incident_story import INCIDENT as INCIDENT
from apiprobe.demo._incident_story import STORM_CLIENT_IP as STORM_CLIENT_IP
from apiprobe.demo._metrics import DEMO_METRICS_END as DEMO_METRICS_END
from apiprobe.demo._metrics import DEMO_OBJECTIVE as DEMO_OBJECTIVE
from apiprobe.demo._metrics import demo_metrics_text as demo_metrics_text
from apiprobe.demo._probes import DEMO_START as DEMO_START
from apiprobe.demo._probes import DEMO_TIMEOUT_MS as DEMO_TIMEOUT_MS
from apiprobe.demo._probes import demo_pings as demo_pings
from apiprobe.demo._probes import demo_probes as demo_probes
from apiprobe.demo._profiles import demo_cpu_profile as demo_cpu_profile
from apiprobe.demo._profiles import write_demo_profiles as write_demo_profiles
from apiprobe.demo._resilience import DEMO_TIMEOUTS_YAML as DEMO_TIMEOUTS_YAML
from apiprobe.demo._serialization import DEMO_GO_SOURCE as DEMO_GO_SOURCE
from apiprobe.demo._serialization import DEMO_PAYLOADS as DEMO_PAYLOADS
from apiprobe.demo._triage_folder import DEMO_CLOCK_SKEW as DEMO_CLOCK_SKEW
from apiprobe.demo._triage_folder import DEMO_LOG_COVER as DEMO_LOG_COVER
from apiprobe.demo._triage_folder import DEMO_TRIAGE_FILES as DEMO_TRIAGE_FILES
from apiprobe.demo._triage_folder import write_demo_triage_folder as write_demo_triage_folder
from apiprobe.demo._write import write_demo as write_demo
