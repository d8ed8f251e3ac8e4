! Example 3: a MESA-like driver. A column of zones is evolved through a
! silicon-burning history with operator-split burn steps: every step sets
! (T, rho) of each zone from the history, then burns each zone at constant
! (T, rho) over dt with one nnn_burn call per zone in an OpenMP loop (as
! MESA's burn step does). The column is evolved twice from the same start,
! once with the integrator and once with the emulator -- the two runs differ
! only by the `emulator=` argument of nnn_burn -- and the differences in X,
! Ye and eps_nuc are printed per step and at the end, with the number of
! zones the emulator handed to the integrator (fallbacks). A third copy of
! the column takes MESA's operator-split step as it is usually run: each
! zone burns at constant density with T following the energy released
! (nnn_burn_self_heating, docs/burn_modes.md), printed per step as
!   selfheat S dT_max=.. dT_mean=.. eps_nuc_max=.. failed=..
!
!   03_mesa_like_column NETWORK MODEL [N_STEPS] [DT] [N_ZONES]
!
!   NETWORK  network name or .net path (e.g. approx21_cr60_plus_co56)
!   MODEL    emulator model file (*.pt), or a network name for its shipped
!            model (network_data/emulators/<name>.pt)
!   N_STEPS  burn steps (default 20);  DT  s per step (default 1e-2; a dt
!            outside the model's dt range sends every zone to the integrator)
!   N_ZONES  zones of the column (default 32)
!
! The history (illustrative, not a stellar model): a contracting, heating
! silicon core. Step s (s = 1..N_STEPS) uses the mid-step fraction
! f = (s - 1/2) / N_STEPS of the history:
!   centre   T_c   = 3.0e9 K + 1.5e9 K * f        (3.0e9 -> 4.5e9 K)
!            rho_c = 1e8 g/cm^3 * 5**f             (1e8 -> 5e8 g/cm^3)
!   zone k   q = (k - 1) / (N_ZONES - 1)           (0 centre .. 1 edge)
!            T   = T_c * (1 - 0.5 q)               (edge 1.5e9 -> 2.25e9 K)
!            rho = rho_c * 10**(-0.9 q)
! Start: oxygen-burning ash, X(si28) = 0.55 - 0.10 q, s32 0.25, ar36 0.08,
! ca40 0.07, o16 0.05 + 0.10 q (isotopes the network lacks are dropped and
! the rest renormalised); Ye = 0.5.
!
! Output (one line each, machine-readable key=value after the first word):
!   # header lines (network, models, history)
!   step S t=.. T_c=.. rho_c=.. fallback=.. dX_max=.. dX_mean=.. dYe_max=.. dYe_mean=..
!        deps_max=.. deps_mean=.. deps_rel=..
!   final dX_max=.. dX_mean=.. dYe_max=.. dYe_mean=.. dE_max=.. dE_mean=.. dE_rel=..
!   fallback total=.. domain=.. dt=.. sanity=.. energy=.. dye=.. error=.. model=.. emulator=..
!            zone_steps=.. failed_integrator=.. failed_emulator=..
!   time integrator_s=.. emulator_s=.. threads=..
!   timing: n = .., fortran_us = .., c_us = .., overhead_us = ..
! dX: max over species of |X_emu - X_int| per zone, then max / mean over
! zones; dYe likewise; deps: |eps_nuc_emu - eps_nuc_int| (erg/g of the step),
! deps_rel = deps_max / max over zones |eps_nuc_int|; dE: the same for the
! energy released over the whole history. The last line times one zone's
! Fortran nnn_burn(..., emulator=) against the bare C nnn_emulator_burn.
! Threads: OMP_NUM_THREADS. Exit status 1 if the network or model cannot be
! loaded.
program mesa_like_column
  !$ use omp_lib, only: omp_get_max_threads
  use, intrinsic :: iso_c_binding, only: c_double, c_int, c_null_ptr
  use nnn
  use nnn_capi, only: c_nnn_emulator_burn_with_info, nnn_zone_info_c  ! only for the overhead timing at the end
  use example_utils, only: die, median, wtime
  implicit none

  type(nnn_network_t) :: net
  type(nnn_emulator_t) :: em
  character(len=1024) :: network, model, arg
  character(len=16) :: name
  real(dp), allocatable :: T(:), rho(:), q(:), Xi(:, :), Xe(:, :), Yei(:), Yee(:)
  real(dp), allocatable :: yi_new(:), ye_new(:), epsi(:), epse(:), nui(:), nue(:), Ei(:), Ee(:), Zn(:), An(:)
  integer, allocatable :: ierr_i(:), ierr_e(:), path(:)
  ! operator-split self-heating step: composition Xs, T after the burn Ts
  real(dp), allocatable :: Xs(:, :), Ts(:), epss(:), nus(:)
  integer, allocatable :: ierr_s(:)
  real(dp) :: t_sh
  integer :: nfail_s
  real(dp) :: dt, f, T_c, rho_c, t_int, t_emu, t0, lt(2), lr(2), ly(2), ldt(2)
  real(dp) :: dXmax, dXmean, dYmax, dYmean, demax, demean, peak
  integer :: ierr, n, nz, n_steps, s, k, i, n_threads, A, Z, n_fb(0:7), nfail_i, nfail_e, n_fb_step

  if (command_argument_count() < 2) then
    write (*, '(a)') 'usage: 03_mesa_like_column NETWORK MODEL [N_STEPS] [DT] [N_ZONES]'
    stop 1
  end if
  call get_command_argument(1, network)
  call get_command_argument(2, model)
  n_steps = 20
  dt = 1e-2_dp
  nz = 32
  if (command_argument_count() >= 3) then
    call get_command_argument(3, arg); read (arg, *) n_steps
  end if
  if (command_argument_count() >= 4) then
    call get_command_argument(4, arg); read (arg, *) dt
  end if
  if (command_argument_count() >= 5) then
    call get_command_argument(5, arg); read (arg, *) nz
  end if
  n_threads = 1
  !$ n_threads = omp_get_max_threads()

  call nnn_load_network(net, network, ierr)
  if (ierr /= NNN_OK) call die('nnn_load_network', ierr)
  ! torch_threads = 1: each OpenMP thread runs its own zone's inference serially.
  call nnn_load_emulator(em, net, model, ierr, torch_threads=1)
  if (ierr /= NNN_OK) call die('nnn_load_emulator', ierr)
  n = nnn_n_species(net)

  write (*, '(a,i0,a,i0,a,i0,a,es10.3,a,i0)') '# network=' // trim(network) // ' n_species=', n, &
      ' zones=', nz, ' steps=', n_steps, ' dt=', dt, ' threads=', n_threads
  call nnn_emulator_domain(em, ierr, logT=lt, logrho=lr, Ye=ly, logdt=ldt)
  write (*, '(a,2f7.3,a,2f7.3,a,2f7.4,a,2f7.3,a)') '# model: logT=[', lt, '] logrho=[', lr, '] Ye=[', ly, &
      '] logdt=[', ldt, ']'
  write (*, '(a)') '# history: T_c 3.0e9 -> 4.5e9 K, rho_c 1e8 -> 5e8 g/cm^3; T = T_c (1 - 0.5 q), ' // &
      'rho = rho_c 10^(-0.9 q)'

  allocate (T(nz), rho(nz), q(nz), Xi(n, nz), Xe(n, nz), Yei(nz), Yee(nz), epsi(nz), epse(nz), &
      nui(nz), nue(nz), yi_new(nz), ye_new(nz), Ei(nz), Ee(nz), ierr_i(nz), ierr_e(nz), path(nz), Zn(n), An(n))
  do i = 1, n
    call nnn_isotope_name(net, i, name, ierr, A=A, Z=Z)
    An(i) = A
    Zn(i) = Z
  end do
  do k = 1, nz
    q(k) = real(k - 1, dp) / real(max(nz - 1, 1), dp)
  end do
  call initial_composition()
  Xe = Xi
  allocate (Xs(n, nz), Ts(nz), epss(nz), nus(nz), ierr_s(nz))
  Xs = Xi
  t_sh = 0
  nfail_s = 0
  do k = 1, nz
    Yei(k) = sum(Zn / An * Xi(:, k))
  end do
  Yee = Yei
  Ei = 0
  Ee = 0
  n_fb = 0
  nfail_i = 0
  nfail_e = 0
  t_int = 0
  t_emu = 0

  do s = 1, n_steps
    f = (real(s, dp) - 0.5_dp) / real(n_steps, dp)
    T_c = 3.0e9_dp + 1.5e9_dp * f
    rho_c = 1e8_dp * 5.0_dp**f
    T = T_c * (1 - 0.5_dp * q)
    rho = rho_c * 10.0_dp**(-0.9_dp * q)

    ! operator-split burn step, integrator
    t0 = wtime()
    !$omp parallel do schedule(dynamic, 1) default(shared) private(k)
    do k = 1, nz
      call nnn_burn(net, T(k), rho(k), Xi(:, k), dt, epsi(k), nui(k), ierr_i(k), Ye=yi_new(k))
    end do
    !$omp end parallel do
    t_int = t_int + (wtime() - t0)

    ! the same step, emulator: the one extra argument
    t0 = wtime()
    !$omp parallel do schedule(dynamic, 1) default(shared) private(k)
    do k = 1, nz
      call nnn_burn(net, T(k), rho(k), Xe(:, k), dt, epse(k), nue(k), ierr_e(k), Ye=ye_new(k), &
          emulator=em, used_fallback=path(k))
    end do
    !$omp end parallel do
    t_emu = t_emu + (wtime() - t0)

    ! Operator-split self-heating step (MESA's burn at constant density): the
    ! hydro sets T and rho, the burn heats the zone through the EOS while the
    ! composition Xs evolves; a failed zone keeps its X and T.
    Ts = T
    t0 = wtime()
    !$omp parallel do schedule(dynamic, 1) default(shared) private(k)
    do k = 1, nz
      call nnn_burn_self_heating(net, Ts(k), rho(k), Xs(:, k), dt, epss(k), nus(k), ierr_s(k))
    end do
    !$omp end parallel do
    t_sh = t_sh + (wtime() - t0)
    nfail_s = nfail_s + count(ierr_s /= NNN_OK)
    write (*, '(a,i0,3(a,es10.3),a,i0)') 'selfheat ', s, ' dT_max=', maxval(Ts - T), ' dT_mean=', &
        sum(Ts - T) / nz, ' eps_nuc_max=', maxval(epss), ' failed=', count(ierr_s /= NNN_OK)

    ! A failed zone keeps its X (and its previous Ye): count it, burn on.
    do k = 1, nz
      if (ierr_i(k) /= NNN_OK) then
        nfail_i = nfail_i + 1
      else
        Yei(k) = yi_new(k)
      end if
      if (ierr_e(k) /= NNN_OK) then
        nfail_e = nfail_e + 1
      else
        Yee(k) = ye_new(k)
      end if
      if (path(k) >= 0 .and. path(k) <= 7) n_fb(path(k)) = n_fb(path(k)) + 1
    end do
    n_fb_step = count(path > 0)
    Ei = Ei + epsi
    Ee = Ee + epse

    call differences(epsi, epse, dXmax, dXmean, dYmax, dYmean, demax, demean, peak)
    write (*, '(a,i0,a,es10.3,a,es10.3,a,es10.3,a,i0,7(a,es10.3))') 'step ', s, ' t=', s * dt, &
        ' T_c=', T_c, ' rho_c=', rho_c, ' fallback=', n_fb_step, ' dX_max=', dXmax, ' dX_mean=', dXmean, &
        ' dYe_max=', dYmax, ' dYe_mean=', dYmean, ' deps_max=', demax, ' deps_mean=', demean, &
        ' deps_rel=', demax / peak
  end do

  call differences(Ei, Ee, dXmax, dXmean, dYmax, dYmean, demax, demean, peak)
  write (*, '(a,7(a,es10.3))') 'final', ' dX_max=', dXmax, ' dX_mean=', dXmean, ' dYe_max=', dYmax, &
      ' dYe_mean=', dYmean, ' dE_max=', demax, ' dE_mean=', demean, ' dE_rel=', demax / peak
  write (*, '(a,12(a,i0))') 'fallback', ' total=', sum(n_fb(1:7)), ' domain=', n_fb(1), ' dt=', n_fb(2), &
      ' sanity=', n_fb(3), ' energy=', n_fb(4), ' dye=', n_fb(5), ' error=', n_fb(6), ' model=', n_fb(7), &
      ' emulator=', n_fb(0), ' zone_steps=', nz * n_steps, ' failed_integrator=', nfail_i, &
      ' failed_emulator=', nfail_e
  write (*, '(a,f10.4,a,f10.4,a,i0)') 'time integrator_s=', t_int, ' emulator_s=', t_emu, &
      ' threads=', n_threads
  write (*, '(a,f10.4,a,i0)') 'selfheat_total time_s=', t_sh, ' failed=', nfail_s
  call overhead()

  call nnn_free_emulator(em)
  call nnn_free_network(net)

contains

  subroutine initial_composition()
    character(len=4), parameter :: iso(5) = ['si28', 's32 ', 'ar36', 'ca40', 'o16 ']
    real(dp) :: w(5)
    integer :: j, idx, e
    Xi = 0
    do k = 1, nz
      w = [0.55_dp - 0.10_dp * q(k), 0.25_dp, 0.08_dp, 0.07_dp, 0.05_dp + 0.10_dp * q(k)]
      do j = 1, size(iso)
        call nnn_isotope_index(net, trim(iso(j)), idx, e)
        if (e == NNN_OK) Xi(idx, k) = Xi(idx, k) + w(j)
      end do
      if (sum(Xi(:, k)) <= 0) Xi(1, k) = 1  ! a network with none of them: its first isotope
      Xi(:, k) = Xi(:, k) / sum(Xi(:, k))
    end do
  end subroutine initial_composition

  ! Differences emulator - integrator over the column: X and Ye of the
  ! current state, and of the energies ei / ee given.
  subroutine differences(ei, ee, dxm, dxa, dym, dya, dem, dea, pk)
    real(dp), intent(in) :: ei(:), ee(:)
    real(dp), intent(out) :: dxm, dxa, dym, dya, dem, dea, pk
    real(dp) :: d
    dxm = 0
    dxa = 0
    do k = 1, nz
      d = maxval(abs(Xe(:, k) - Xi(:, k)))
      dxm = max(dxm, d)
      dxa = dxa + d / nz
    end do
    dym = maxval(abs(Yee - Yei))
    dya = sum(abs(Yee - Yei)) / nz
    dem = maxval(abs(ee - ei))
    dea = sum(abs(ee - ei)) / nz
    pk = max(maxval(abs(ei)), tiny(1.0_dp))
  end subroutine differences

  ! Per-call overhead of the Fortran module on the emulator path: the centre
  ! zone at the last step's (T, rho), the module's nnn_burn(..., emulator=)
  ! against the bare C nnn_emulator_burn_with_info (the call it makes), interleaved,
  ! serial; medians.
  subroutine overhead()
    integer, parameter :: n_rep = 300
    real(dp) :: tf(n_rep), tc(n_rep), x(n), x0(n), xc(n), e1, e2, y, tt
    real(c_double) :: ye_c, err_c
    type(nnn_zone_info_c) :: info_c
    integer(c_int) :: path_c
    integer :: r, ie, p
    x0 = Xe(:, 1)
    do r = 1, n_rep
      x = x0
      tt = wtime()
      call nnn_burn(net, T(1), rho(1), x, dt, e1, e2, ie, Ye=y, emulator=em, used_fallback=p)
      tf(r) = (wtime() - tt) * 1e6_dp
      tt = wtime()
      ie = c_nnn_emulator_burn_with_info(nnn_emulator_c_ptr(em), T(1), rho(1), x0, dt, c_null_ptr, xc, e1, &
          e2, ye_c, path_c, err_c, info_c)
      tc(r) = (wtime() - tt) * 1e6_dp
    end do
    write (*, '(a,i0,a,i0,a,f10.3,a,f10.3,a,f8.3)') 'timing: path = ', p, ', n = ', n_rep, &
        ', fortran_us = ', median(tf), ', c_us = ', median(tc), ', overhead_us = ', median(tf) - median(tc)
  end subroutine overhead

end program mesa_like_column
