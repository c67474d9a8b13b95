#!/usr/bin/env bash
# Create each caller's named function key of Tapstart's HTTP functions (docs/deploy.md, "Keys: one
# per caller"). Host keys and the master key are never created, read or printed: a function key
# opens its own function only, a host key opens them all.
#
# Run it after the code is deployed (`azd deploy`): the platform knows a function, and so its
# keys, only then, which is why Bicep cannot create them. Safe to re-run: keys that exist are
# kept unless --rotate is given. Key values are never printed; the script says which key goes to
# whom and the command that shows its value.
#
# Who can run it: someone who may manage the Function App (e.g. Website Contributor on it);
# sign in first with `az login`.
#
# Usage:
#   scripts/function-keys.sh [--resource-group <rg>] [--app <function app>] [--rotate] [--dry-run]
#
#   --resource-group  default: the azd environment's AZURE_RESOURCE_GROUP
#   --app             default: the azd environment's AZURE_FUNCTION_APP_NAME
#   --rotate          give existing keys new values (the callers need the new ones)
#   --dry-run         print what would be created or rotated, change nothing
set -euo pipefail

resource_group="${AZURE_RESOURCE_GROUP:-}"
app="${AZURE_FUNCTION_APP_NAME:-}"
rotate=false
dry_run=false

die() { echo "function-keys: $*" >&2; exit 1; }

while (($#)); do
    case "$1" in
        --resource-group|-g) resource_group="${2:-}"; shift 2 ;;
        --app|-n) app="${2:-}"; shift 2 ;;
        --rotate) rotate=true; shift ;;
        --dry-run) dry_run=true; shift ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done

azd_value() { command -v azd >/dev/null 2>&1 && azd env get-value "$1" 2>/dev/null || true; }
[[ -n "$resource_group" ]] || resource_group="$(azd_value AZURE_RESOURCE_GROUP)"
[[ -n "$app" ]] || app="$(azd_value AZURE_FUNCTION_APP_NAME)"
[[ -n "$resource_group" && -n "$app" ]] ||
    die "no resource group or app: pass --resource-group and --app, or run inside the azd project"
command -v az >/dev/null 2>&1 || die "the Azure CLI (az) is required"

# caller key name | functions (the first one's value is copied to the others) | who gets it
callers=(
    "hr|hr_events hr_events_handshake|the HR system: x-functions-key on POST and OPTIONS /api/hr/events"
    "servicedesk|onboarding_status|the service desk: GET /api/onboarding/{trackingId}"
    "reporting|report_run report_latest|reporting: POST /api/reports/run, GET /api/reports/latest"
    "monitoring|doctor|admins and monitoring: GET /api/doctor"
    "campaign|campaign|the admins who run the registration campaign: GET and POST /api/campaign"
)

fn_keys() {  # names of a function's keys, one a line (no values)
    az functionapp function keys list -g "$resource_group" -n "$app" --function-name "$1" \
        --query "keys(@)" -o tsv
}

has_key() { grep -qxF "$2" <<<"$1"; }

for caller in "${callers[@]}"; do
    IFS='|' read -r key functions audience <<<"$caller"
    read -r -a fns <<<"$functions"
    declare -A names=()
    for fn in "${fns[@]}"; do
        names[$fn]="$(fn_keys "$fn")" ||
            die "cannot read the keys of $fn in $app: is the code deployed (azd deploy)?"
    done

    first="${fns[0]}"
    if [[ "$rotate" == true ]] || ! has_key "${names[$first]}" "$key"; then
        if has_key "${names[$first]}" "$key"; then action="rotated"; else action="created"; fi
        if [[ "$dry_run" == true ]]; then
            echo "would have $action: $key of $first"
        else
            # No --key-value: Azure draws the value, so it never appears on a command line here.
            az functionapp function keys set -g "$resource_group" -n "$app" --function-name "$first" \
                --key-name "$key" -o none
            echo "$action: $key of $first"
        fi
        copy_all=true
    else
        echo "kept: $key of $first"
        copy_all=false
    fi

    # The caller's other functions get the same value, so one key opens all of its endpoints.
    value=""
    for fn in "${fns[@]:1}"; do
        if [[ "$copy_all" == false ]] && has_key "${names[$fn]}" "$key"; then
            echo "kept: $key of $fn"
            continue
        fi
        if [[ "$dry_run" == true ]]; then
            echo "would have set: $key of $fn (the value of $first)"
            continue
        fi
        if [[ -z "$value" ]]; then
            value="$(az functionapp function keys list -g "$resource_group" -n "$app" \
                --function-name "$first" --query "$key" -o tsv)"
            [[ -n "$value" ]] || die "the $key key of $first has no value"
        fi
        az functionapp function keys set -g "$resource_group" -n "$app" --function-name "$fn" \
            --key-name "$key" --key-value "$value" -o none
        echo "set: $key of $fn (the value of $first)"
    done
    unset value names

    echo "  -> give to $audience"
    echo "     value: az functionapp function keys list -g $resource_group -n $app --function-name $first --query $key -o tsv"
done
